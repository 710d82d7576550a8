package tokencache

import (
	"runtime"
	"sync"
	"sync/atomic"
)

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

// hitCounter counts hits the way Java's LongAdder does. While one
// goroutine at a time counts, an increment is one compare-and-swap on a
// line of the counter's own. The first time two collide, the counter
// spreads for good over slots on lines of their own, leased one per
// processor through a sync.Pool (whose fast path is per P), so that cores
// serving hits at once write to different lines and the hit path scales
// with the cores instead of bouncing one line between them.
type hitCounter struct {
	_       [64]byte
	base    atomic.Uint64
	striped atomic.Pointer[[]hitSlot] // nil until the first collision
	_       [64]byte
	pool    sync.Pool // *hitLease
}

type hitSlot struct {
	n    atomic.Uint64
	held atomic.Bool // a lease on it exists
	_    [112]byte   // with the next slot's n, two full lines apart: never shared
}

// hitLease is what the pool holds. A pool drops what it has not used for two
// GCs; the dropped lease is then collected, and once its cleanup has run
// its slot is free for the next processor that asks. So two processors
// share a slot only when every slot was leased when one of them asked.
type hitLease struct{ slot *hitSlot }

func newHitCounter() *hitCounter {
	h := new(hitCounter)
	h.pool.New = h.lease
	return h
}

func (h *hitCounter) inc() {
	if h.striped.Load() == nil {
		n := h.base.Load()
		if h.base.CompareAndSwap(n, n+1) {
			return
		}
		h.spread()
	}
	l := h.pool.Get().(*hitLease)
	l.slot.n.Add(1)
	h.pool.Put(l)
}

// spread switches the counter to its slots for good: two per processor (at
// most 128), sized by GOMAXPROCS at the first collision. Of two goroutines
// spreading at once, the first to install its slots wins.
func (h *hitCounter) spread() {
	if h.striped.Load() == nil {
		slots := make([]hitSlot, 2*min(runtime.GOMAXPROCS(0), 64))
		h.striped.CompareAndSwap(nil, &slots)
	}
}

// refillHook, set only by a test, runs where the pool refills, which
// allocates: a GC may run there, in the middle of an increment.
var refillHook func()

// lease hands out a free slot, or the first one when all are leased (a
// processor given that one keeps sharing it until the pool drops its
// lease; a GOMAXPROCS raised past the slots shares it too).
func (h *hitCounter) lease() any {
	if refillHook != nil {
		refillHook()
	}
	slots := *h.striped.Load()
	for i := range slots {
		if s := &slots[i]; !s.held.Load() && s.held.CompareAndSwap(false, true) {
			l := &hitLease{slot: s}
			runtime.AddCleanup(l, func(s *hitSlot) { s.held.Store(false) }, s)
			return l
		}
	}
	return &hitLease{slot: &slots[0]}
}

func (h *hitCounter) load() uint64 {
	n := h.base.Load()
	if p := h.striped.Load(); p != nil {
		for i := range *p {
			n += (*p)[i].n.Load()
		}
	}
	return n
}
