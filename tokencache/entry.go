package tokencache

import (
	"sync"
	"sync/atomic"
	"time"
)

// Token states, in the order a token goes through them.
const (
	phaseFresh uint32 = iota
	phaseStale
	phaseExpired
)

// item is one token held by an entry, with the times its state changes. It
// is immutable once published, except for phase, which timers (and the
// watchdog) move forward so that the hit path needs no clock read.
type item struct {
	tok      Token
	staleAt  time.Time
	expireAt time.Time
	phase    atomic.Uint32

	timers [2]*time.Timer // guarded by the owning entry's mu
}

func newItem(tok Token, refreshAt time.Time) *item {
	// The safety margin is at most half of the stale window, so that even a
	// very short-lived token spends some time being served.
	s := min(safetyMargin, tok.ExpiresAt.Sub(refreshAt)/2)
	// Round(0) drops the monotonic reading: states are judged by the wall
	// clock, which (unlike the monotonic one) keeps running while a machine
	// is suspended.
	return &item{tok: tok, staleAt: refreshAt.Round(0), expireAt: tok.ExpiresAt.Add(-s).Round(0)}
}

// phaseAt is the item's state at now.
func (it *item) phaseAt(now time.Time) uint32 {
	switch {
	case now.Before(it.staleAt):
		return phaseFresh
	case now.Before(it.expireAt):
		return phaseStale
	default:
		return phaseExpired
	}
}

// advance moves the item's phase forward to p (never backward).
func (it *item) advance(p uint32) {
	for {
		cur := it.phase.Load()
		if cur >= p || it.phase.CompareAndSwap(cur, p) {
			return
		}
	}
}

// arm starts the timers that flip the phase, for caches on the real clock.
// The caller holds the owning entry's mu.
func (it *item) arm(now time.Time) {
	it.advance(it.phaseAt(now))
	if d := it.staleAt.Sub(now); d > 0 {
		it.timers[0] = time.AfterFunc(d, func() { it.advance(phaseStale) })
	}
	if d := it.expireAt.Sub(now); d > 0 {
		it.timers[1] = time.AfterFunc(d, func() { it.advance(phaseExpired) })
	}
}

// disarm stops the item's timers. The caller holds the owning entry's mu.
func (it *item) disarm() {
	if it == nil {
		return
	}
	for i, t := range it.timers {
		if t != nil {
			t.Stop()
			it.timers[i] = nil
		}
	}
}

// entry is the cache's state for one key.
type entry struct {
	key  string
	cur  atomic.Pointer[item]
	used atomic.Int64 // last use, in the cache's coarse ticks, for LRU eviction

	flying     atomic.Int32         // flights pinning this entry; eviction spares it (incremented under Cache.mu)
	refreshing atomic.Bool          // a background refresh has been started and not yet ended
	fail       atomic.Pointer[fail] // the latest failure and its backoff; nil after a success

	mu       sync.Mutex
	rejected string // value of the last invalidated token; never reloaded from a Store

	idx int // position in Cache.all; guarded by Cache.mu
}

// fail is a key's backoff state, replaced as a whole by the flight that
// fetches the key.
type fail struct {
	n     int       // consecutive failed fetches
	err   error     // the latest failure, returned while backing off
	until time.Time // no new fetch before this
}

// install replaces the entry's item with it and stops the old one's timers.
// The caller holds e.mu.
func (e *entry) install(it *item) {
	e.cur.Swap(it).disarm()
}
