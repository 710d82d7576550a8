package tokencache

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// item is one token held by an entry, with the times (Unix nanoseconds,
// by the cache's clock) its state changes: fresh before staleAt, stale
// before expireAt, expired from then on. It is immutable once published.
type item struct {
	tok      Token
	staleAt  int64
	expireAt int64
}

// newItem holds tok, fresh until refreshAt. off (>= 0) is how far the
// cache's monotonic reading runs ahead of its clock (after the wall clock
// stepped back): the item's times move by as much, so that a token minted
// now is not judged expired by the reading.
func newItem(tok Token, refreshAt time.Time, off int64) *item {
	// The safety margin is at most half of the stale window, so that even a
	// very short-lived token spends some time being served.
	s := min(safetyMargin, tok.ExpiresAt.Sub(refreshAt)/2)
	return &item{tok: tok, staleAt: sat(nanos(refreshAt), off), expireAt: sat(nanos(tok.ExpiresAt.Add(-s)), off)}
}

// sat is a+b for b >= 0, saturating at the largest int64.
func sat(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64
}

// fresh reports whether the item is fresh at now.
func (it *item) fresh(now int64) bool { return now < it.staleAt }

// usable reports whether the item may still be served at now.
func (it *item) usable(now int64) bool { return now < it.expireAt }

// nanos is t in Unix nanoseconds, saturating outside the years 1678–2262
// where UnixNano is undefined.
func nanos(t time.Time) int64 {
	switch {
	case t.Year() > 2261:
		return math.MaxInt64
	case t.Year() < 1679:
		return math.MinInt64
	}
	return t.UnixNano()
}

// entry is the cache's state for one key.
type entry struct {
	key      string
	provider string // as the first Fetcher for the key named it
	cur      atomic.Pointer[item]
	used     atomic.Int64 // last use, by the hit path's clock, for LRU eviction

	flying     atomic.Int32         // flights pinning this entry; eviction spares it (incremented under Cache.mu)
	refreshing atomic.Bool          // a background refresh has been started and not yet ended
	fail       atomic.Pointer[fail] // the latest failure and its backoff; nil after a success

	mu       sync.Mutex
	rejected string // value of the last invalidated token; never reloaded from a Store
	fallback *item  // the last invalidated token, served only while no new one can be had
	dropped  bool   // cur was emptied by Invalidate (the next fetch's reason)

	idx int // position in Cache.all; guarded by Cache.mu
}

// fail is a key's backoff state, replaced as a whole by the flight that
// fetches the key.
type fail struct {
	n     int       // consecutive failed fetches
	err   error     // the latest failure, returned while backing off
	until time.Time // no new fetch before this
}

// install replaces the entry's token with it and forgets any fallback.
func (e *entry) install(it *item) {
	e.mu.Lock()
	e.cur.Store(it)
	e.fallback, e.dropped = nil, false
	e.mu.Unlock()
}

// lastResort is the invalidated token if it can still be served at now.
func (e *entry) lastResort(now int64) *item {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fallback != nil && e.fallback.usable(now) {
		return e.fallback
	}
	return nil
}
