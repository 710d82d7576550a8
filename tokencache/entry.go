package tokencache

import (
	"math"
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

// item is one token held by an entry, with the wall-clock times (Unix
// nanoseconds) its state changes. It is immutable once published.
type item struct {
	tok      Token
	staleAt  int64
	expireAt int64
}

func newItem(tok Token, refreshAt time.Time) *item {
	// The safety margin is at most half of the stale window, so that even a
	// very short-lived token spends some time being served.
	s := min(safetyMargin, tok.ExpiresAt.Sub(refreshAt)/2)
	return &item{tok: tok, staleAt: nanos(refreshAt), expireAt: nanos(tok.ExpiresAt.Add(-s))}
}

// phaseAt is the item's state at now (Unix nanoseconds).
func (it *item) phaseAt(now int64) uint32 {
	switch {
	case now < it.staleAt:
		return phaseFresh
	case now < it.expireAt:
		return phaseStale
	default:
		return phaseExpired
	}
}

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
	key  string
	cur  atomic.Pointer[item]
	used atomic.Int64 // last use, by the cache's coarse clock, for LRU eviction
	ends atomic.Int64 // cur's expireAt (MinInt64 with none), so that eviction need not load cur

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

// install replaces the entry's item with it. The caller holds e.mu.
func (e *entry) install(it *item) {
	ends := int64(math.MinInt64)
	if it != nil {
		ends = it.expireAt
	}
	e.ends.Store(ends)
	e.cur.Store(it)
}
