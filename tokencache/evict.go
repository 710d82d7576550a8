package tokencache

// evictSamples is how many entries an eviction looks at, as Redis does
// (its default is 5 too): the victim is the first of them whose token has
// expired (or that holds none), else the least recently used. A cache
// holding no more entries than this is judged exactly.
const evictSamples = 5

// pin returns key's entry, creating it (and evicting to make room) if need
// be, and marks it as pinned by a flight so that eviction spares it. The
// caller unpins it with e.flying.Add(-1).
func (c *Cache) pin(key string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	var e *entry
	if v, ok := c.entries.Load(key); ok {
		e = v.(*entry)
	} else {
		// More than one when flights kept the cache over its bound.
		for len(c.all) >= c.cfg.maxEntries && c.evictLocked() {
		}
		e = &entry{key: key, idx: len(c.all)}
		e.used.Store(c.useTick())
		c.all = append(c.all, e)
		c.entries.Store(key, e)
	}
	e.flying.Add(1)
	return e
}

func (c *Cache) useTick() int64 {
	if c.cfg.clock != nil {
		return c.cfg.clock().UnixNano()
	}
	return c.coarse.Load()
}

// evictLocked drops one entry that no flight pins, chosen among
// evictSamples random ones (all of them in a small cache). If every entry
// it sees is pinned, it looks at all of them; if all are pinned, it reports
// false and the cache grows past its bound until a flight ends. The caller
// holds c.mu.
func (c *Cache) evictLocked() bool {
	n := len(c.all)
	if n == 0 {
		return false
	}
	now := nanos(c.Now())
	if c.cfg.clock == nil {
		now = max(now, c.coarse.Load())
	}
	var victim *entry
	expired := false
	consider := func(e *entry) {
		if expired || e.flying.Load() > 0 {
			return
		}
		if now >= e.ends.Load() {
			victim, expired = e, true
		} else if victim == nil || e.used.Load() < victim.used.Load() {
			victim = e
		}
	}
	if n > evictSamples {
		c.rndM.Lock()
		for range evictSamples {
			consider(c.all[c.rnd.IntN(n)])
		}
		c.rndM.Unlock()
	}
	if victim == nil {
		for _, e := range c.all {
			consider(e)
		}
	}
	if victim == nil {
		return false
	}
	victim.mu.Lock()
	victim.install(nil) // a Source holding it goes back to the map
	victim.mu.Unlock()
	c.entries.Delete(victim.key)
	last := c.all[n-1]
	c.all[victim.idx], last.idx = last, victim.idx
	c.all[n-1] = nil
	c.all = c.all[:n-1]
	c.stat.evictions.inc()
	return true
}
