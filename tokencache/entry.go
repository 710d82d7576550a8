package tokencache

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/puzpuzpuz/xsync/v4"
)

// item is what the map holds for a key: the entry's token, with the times
// (Unix nanoseconds, by the cache's clock) its state changes (fresh before
// staleAt, stale before expireAt, expired from then on), or, while the
// entry holds no token, a placeholder that every hit refuses. The hit path
// reads the map's item and nothing else: the token, the times it compares
// and the recency it writes sit together. Only used changes once an item
// is published.
type item struct {
	used     atomic.Int64 // last hit, by the hit path's clock, for LRU eviction
	staleAt  int64
	expireAt int64
	tok      Token
	e        *entry
}

// newItem holds tok for e, fresh until refreshAt. off (>= 0) is how far
// the cache's monotonic reading runs ahead of its clock (after the wall
// clock stepped back): the item's times move by as much, so that a token
// minted now is not judged expired by the reading.
func newItem(e *entry, tok Token, refreshAt time.Time, off int64) *item {
	// The safety margin is at most half of the stale window, so that even a
	// very short-lived token spends some time being served.
	s := min(safetyMargin, tok.ExpiresAt.Sub(refreshAt)/2)
	return &item{e: e, tok: tok, staleAt: sat(nanos(refreshAt), off), expireAt: sat(nanos(tok.ExpiresAt.Add(-s)), off)}
}

// placeholder is the item of an entry that holds no token: stale and
// expired since long before any clock reading (and far enough from the
// smallest int64 that the hit path's arithmetic cannot wrap).
func placeholder(e *entry, used int64) *item {
	it := &item{e: e, staleAt: math.MinInt64 / 2, expireAt: math.MinInt64 / 2}
	it.used.Store(used)
	return it
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

// hit reports whether it, an entry's item, can be served as a fresh token
// at now, the hit path's clock reading (clock.tick): the lock-free,
// allocation-free read of the hit path, small enough to be inlined. On the
// real clock that reading is the coarse clock the watchdog advances once a
// tick, which costs one load where reading the clock costs a system call's
// worth: a token is treated as fresh until a tick past its refresh time at
// most, and never within two ticks of the end of its safety margin. A
// placeholder never passes; once Close has returned the map holds only
// placeholders, so no closed check is needed here.
func (it *item) hit(now int64) bool {
	if now >= it.staleAt || now >= it.expireAt-2*int64(time.Second) {
		return false
	}
	if it.used.Load() != now { // write only when it changes: keeps the line shared
		it.used.Store(now)
	}
	return true
}

// The span of times an int64 of Unix nanoseconds can hold (1677–2262).
var minNanos, maxNanos = time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)

// nanos is t in Unix nanoseconds, saturating outside the span where
// UnixNano is undefined. Two comparisons, not a calendar computation: it
// runs on every slow-path read of the clock.
func nanos(t time.Time) int64 {
	switch {
	case t.After(maxNanos):
		return math.MaxInt64
	case t.Before(minNanos):
		return math.MinInt64
	}
	return t.UnixNano()
}

// entry is the cache's state for one key.
type entry struct {
	// First the fields eviction reads, together in the entry's first 32
	// bytes: one cache line per sampled entry.
	it     atomic.Pointer[item] // its item: the map's value for key while the entry is in it (publish updates both under mu); never nil
	fail   atomic.Pointer[fail] // the latest failure and its backoff; nil after a success
	flying atomic.Int32         // flights pinning this entry; eviction spares it (incremented under Cache.mu)

	refreshing atomic.Bool // a background refresh has been started and not yet ended
	key        string
	provider   string // as the first Fetcher for the key named it

	mu       sync.Mutex
	rejected atomic.Pointer[string] // value of the last invalidated token: never installed again (written under mu)
	fallback atomic.Pointer[item]   // the last invalidated token, served only while no new one can be had (written under mu)

	idx int // position in Cache.all; guarded by Cache.mu
}

// fail is a key's backoff state, replaced as a whole by the flight that
// fetches the key.
type fail struct {
	n     int   // consecutive failed fetches
	err   error // the latest failure, returned while backing off
	until int64 // no new fetch before this, in Unix nanoseconds by the slow path's clock
}

// backoff returns e's latest failure if its backoff still runs at now.
func (e *entry) backoff(now int64) *fail {
	if fl := e.fail.Load(); fl != nil && now < fl.until {
		return fl
	}
	return nil
}

// reason is why a fetch for e, holding it (nil: no token), runs at now.
func (e *entry) reason(it *item, now int64, refresh bool) string {
	switch {
	case e.fallback.Load() != nil:
		return ReasonInvalidated
	case refresh || (it != nil && it.usable(now)):
		return ReasonStale
	case it != nil:
		return ReasonExpired
	}
	return ReasonMissing
}

// isRejected reports whether v is the value Invalidate last dropped.
func (e *entry) isRejected(v string) bool {
	p := e.rejected.Load()
	return p != nil && *p == v
}

// token is the entry's token item, or nil if it holds none.
func (e *entry) token() *item {
	if it := e.it.Load(); it.tok.Value != "" { // the cache never holds an empty token
		return it
	}
	return nil
}

// install replaces e's token with it (nil: none) and forgets any fallback.
// A token loaded from a Store (fromStore) that Invalidate dropped while it
// came in is not installed: a refused token never comes back from a Store.
// One the provider mints again is its own word that the value is good: it
// is installed and no longer counts as refused.
func (c *Cache) install(e *entry, it *item, fromStore bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if it != nil && e.isRejected(it.tok.Value) {
		if fromStore {
			return
		}
		e.rejected.Store(nil)
	}
	c.publish(e, it)
	e.fallback.Store(nil)
}

// publish makes it (nil: a placeholder) e's item, in e and in the map if the
// map still holds e (an evicted entry stays out of it). The caller holds
// e.mu.
func (c *Cache) publish(e *entry, it *item) {
	used := e.it.Load().used.Load() // a new token keeps the key's recency
	if it == nil {
		it = placeholder(e, used)
	} else {
		it.used.Store(used)
	}
	e.it.Store(it)
	c.entries.Compute(e.key, func(old *item, loaded bool) (*item, xsync.ComputeOp) {
		if !loaded || old.e != e {
			return old, xsync.CancelOp
		}
		return it, xsync.UpdateOp
	})
}

// lastResort is the invalidated token if it can still be served at now.
func (e *entry) lastResort(now int64) *item {
	if it := e.fallback.Load(); it != nil && it.usable(now) {
		return it
	}
	return nil
}
