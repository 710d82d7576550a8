package tokencache

import (
	"sync/atomic"
	"unsafe"
)

// Stats is a snapshot of a cache's counters since it was created.
//
// Hits counts fresh tokens served by [Cache.Get]. Fresh tokens served by
// [Source.Token] are not counted: that path makes no shared write, which is
// what keeps it fast on many cores. Every other counter covers both.
type Stats struct {
	Hits      uint64 // Gets served a fresh token (Source hits excluded)
	StaleHits uint64 // Gets served a stale token while a refresh ran
	Misses    uint64 // Gets that had to wait for a fetch, or got a backoff error
	Fetches   uint64 // fetches started (including those served by the Store)
	Failures  uint64 // fetches that failed
	StoreHits uint64 // fetches answered by the Store without minting
	Evictions uint64 // entries dropped to respect the maximum
	Entries   int    // keys held now
}

// Stats returns a snapshot of the cache's counters. It is safe to call at
// any time, also after Close.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	n := c.n
	c.mu.Unlock()
	return Stats{
		Hits:      c.stats.hits.load(),
		StaleHits: c.stats.staleHits.load(),
		Misses:    c.stats.misses.load(),
		Fetches:   c.stats.fetches.load(),
		Failures:  c.stats.failures.load(),
		StoreHits: c.stats.storeHits.load(),
		Evictions: c.stats.evictions.load(),
		Entries:   n,
	}
}

type counters struct {
	hits, misses                                       striped
	staleHits, fetches, failures, storeHits, evictions counter
}

type counter struct{ n atomic.Uint64 }

func (c *counter) inc()         { c.n.Add(1) }
func (c *counter) load() uint64 { return c.n.Load() }

// striped is a counter for the hit path, spread over cache lines so that
// goroutines on different cores rarely increment the same one: a single
// shared atomic would make every hit bounce one cache line between cores.
type striped [16]struct {
	n atomic.Uint64
	_ [56]byte
}

func (s *striped) inc() {
	// Goroutine stacks live at distinct addresses, so the address of a local
	// variable is a free, stable-per-goroutine stripe index.
	var anchor byte
	s[(uintptr(unsafe.Pointer(&anchor))>>13)%uintptr(len(s))].n.Add(1)
}

func (s *striped) load() uint64 {
	var sum uint64
	for i := range s {
		sum += s[i].n.Load()
	}
	return sum
}
