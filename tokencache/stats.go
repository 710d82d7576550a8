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
// any time, also after Close, and costs a few dozen loads whatever the
// number of keys.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	n := len(c.all)
	c.mu.Unlock()
	return Stats{
		Hits:      c.hits.Load(),
		StaleHits: c.stat.staleHits.Load(),
		Misses:    c.stat.misses.Load(),
		Fetches:   c.stat.fetches.Load(),
		Failures:  c.stat.failures.Load(),
		StoreHits: c.stat.storeHits.Load(),
		Evictions: c.stat.evictions.Load(),
		Entries:   n,
	}
}

// counters are the slow path's: one atomic each is enough there.
type counters struct {
	staleHits, misses, fetches, failures, storeHits, evictions atomic.Uint64
}
