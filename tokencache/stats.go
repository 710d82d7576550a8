package tokencache

import "sync/atomic"

// Stats is a snapshot of a cache's counters since it was created.
type Stats struct {
	Hits      uint64 // fresh tokens served by Get, GetFresh and Source.Token
	StaleHits uint64 // stale tokens served while a refresh ran
	Misses    uint64 // calls that had to wait for a fetch, got a backoff error, or got the last-resort token
	Fetches   uint64 // fetches done: Mints + StoreHits + Failures
	Mints     uint64 // fetches answered by the FetchFunc
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
	mints, stores, fails := c.stat.mints.Load(), c.stat.storeHits.Load(), c.stat.failures.Load()
	return Stats{
		Hits:      c.hits.Load(),
		StaleHits: c.stat.staleHits.Load(),
		Misses:    c.stat.misses.Load(),
		Fetches:   mints + stores + fails,
		Mints:     mints,
		Failures:  fails,
		StoreHits: stores,
		Evictions: c.stat.evictions.Load(),
		Entries:   n,
	}
}

// counters are the slow path's: one atomic each is enough there. Each
// only grows, so a counter read from Stats never goes back.
type counters struct {
	staleHits, misses, mints, failures, storeHits, evictions atomic.Uint64
}
