package tokencache

import "sync/atomic"

// Stats is a snapshot of a cache's counters since it was created.
type Stats struct {
	Hits      uint64 // fresh tokens served by Get, GetFresh and Source.Token
	StaleHits uint64 // stale tokens served while a refresh ran
	Misses    uint64 // calls that had to wait for a fetch, or got a backoff error
	Fetches   uint64 // fetches started (including those served by the Store)
	Failures  uint64 // fetches that failed
	StoreHits uint64 // fetches answered by the Store without minting
	Evictions uint64 // entries dropped to respect the maximum
	Entries   int    // keys held now
}

// Stats returns a snapshot of the cache's counters. It is safe to call at
// any time, also after Close. Its cost grows with the number of live
// [Source] values, whose hits each Source counts on its own so that readers
// of different Sources never write to a shared cache line.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	n := len(c.all)
	c.mu.Unlock()
	hits := c.hits.load() + c.gone.Load()
	c.srcs.Range(func(k, _ any) bool {
		hits += k.(*hitCounter).load()
		return true
	})
	return Stats{
		Hits:      hits,
		StaleHits: c.stat.staleHits.load(),
		Misses:    c.stat.misses.load(),
		Fetches:   c.stat.fetches.load(),
		Failures:  c.stat.failures.load(),
		StoreHits: c.stat.storeHits.load(),
		Evictions: c.stat.evictions.load(),
		Entries:   n,
	}
}

type counters struct {
	staleHits, misses, fetches, failures, storeHits, evictions counter
}

type counter struct{ n atomic.Uint64 }

func (c *counter) inc()         { c.n.Add(1) }
func (c *counter) load() uint64 { return c.n.Load() }

// hitCounter is a counter on a cache line of its own, so that incrementing
// it does not evict the read-mostly fields around it from other cores'
// caches.
type hitCounter struct {
	_ [64]byte
	n atomic.Uint64
	_ [56]byte
}

func (h *hitCounter) inc()         { h.n.Add(1) }
func (h *hitCounter) load() uint64 { return h.n.Load() }
