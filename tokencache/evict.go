package tokencache

// evictSamples is how many entries an eviction looks at, as Redis does
// (its default is 5 too): the victim is the first of them whose token has
// expired (or that holds none), else the least recently used. A cache
// holding no more entries than this is judged exactly.
const evictSamples = 5

// evicted is the item of every entry eviction took out of the map.
var evicted = placeholder(nil, 0)

// pin returns key's entry, creating it (and evicting to make room) if need
// be, and marks it as pinned by a flight so that eviction spares it. The
// caller unpins it with e.flying.Add(-1), and reports the entries evicted
// for it (gathered only when observers are attached).
func (c *Cache) pin(key, provider string) (e *entry, evicted []*entry) {
	c.mu.Lock()
	if it, ok := c.entries.Load(key); ok {
		e = it.e
	} else {
		// More than one when flights kept the cache over its bound. The
		// evicted are gathered for observers only: without any, an
		// eviction allocates nothing.
		observed := len(c.observers()) > 0
		for len(c.all) >= c.cfg.maxEntries {
			v := c.evictLocked()
			if v == nil {
				break
			}
			if observed {
				evicted = append(evicted, v)
			}
		}
		e = &entry{key: key, provider: provider, idx: len(c.all)}
		it := placeholder(e, c.cfg.clock.tick())
		e.it.Store(it)
		c.all = append(c.all, e)
		c.entries.Store(key, it)
	}
	e.flying.Add(1)
	c.mu.Unlock()
	return e, evicted
}

// spent reports whether e holds nothing worth keeping at now: no usable
// token, no last resort, no backoff still running (which evicting would
// forget, letting the next Get mint at once).
func (e *entry) spent(now int64) bool {
	if e.it.Load().usable(now) {
		return false
	}
	return e.backoff(now) == nil && e.lastResort(now) == nil
}

// evictLocked drops one entry that no flight pins, chosen among
// evictSamples random ones (all of them in a small cache), and returns it.
// If every entry it sees is pinned, it looks at all of them; if all are
// pinned, it returns nil and the cache grows past its bound until a flight
// ends. The caller holds c.mu.
func (c *Cache) evictLocked() *entry {
	n, now := len(c.all), c.now()
	var victim *entry
	if n > evictSamples {
		var sample [evictSamples]*entry
		for i := range sample {
			sample[i] = c.all[c.pick.IntN(n)]
		}
		// Read every sampled item before judging any, so that the cache
		// misses overlap instead of queueing one behind the other.
		for _, e := range sample {
			e.it.Load().used.Load()
		}
		victim = choose(sample[:], now)
	}
	if victim == nil { // a small cache, or every sampled entry is pinned
		victim = choose(c.all, now)
	}
	if victim == nil {
		return nil
	}
	c.entries.Delete(victim.key)
	// Out of the map first, then emptied, so that a Source bound to it
	// goes back to the map. Only a flight, which pins its entry, puts a
	// token in one, so an evicted entry never holds one again: eviction
	// gives it the shared placeholder (no allocation, no map operation).
	victim.it.Store(evicted)
	last := c.all[n-1]
	c.all[victim.idx], last.idx = last, victim.idx
	c.all[n-1] = nil
	c.all = c.all[:n-1]
	c.stat.evictions.Add(1)
	return victim
}

// choose returns the first entry of es that no flight pins and that is
// spent, else the least recently used one no flight pins, else nil.
func choose(es []*entry, now int64) *entry {
	var victim *entry
	for _, e := range es {
		switch {
		case e.flying.Load() > 0:
		case e.spent(now):
			return e
		case victim == nil || e.it.Load().used.Load() < victim.it.Load().used.Load():
			victim = e
		}
	}
	return victim
}
