package tokencache

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Before the cache has installed any token its coarse clock has not
// started, and the hit path's reading is 0: an eviction judging entries by
// it sees every backoff as still running. It must judge by the clock, take
// the key whose backoff is over, and keep the one still backing off (whose
// backoff eviction would forget, letting the next Get call the provider at
// once).
func TestEvictionBeforeAnyTokenKeepsARunningBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithMaxEntries(2), WithBackoff(time.Second, time.Second))
		long := &minter{now: clk.Now, life: time.Hour, err: hintErr{d: 10 * time.Minute}}
		short := &minter{now: clk.Now, life: time.Hour, err: errUpstream}
		_, err := c.Get(bg, "backing-off", long.fetch)
		require.Error(t, err)
		_, err = c.Get(bg, "spent", short.fetch)
		require.Error(t, err)
		clk.Add(time.Minute) // "spent" backed off for at most 1 s; "backing-off" has 9 min to go

		_, err = c.Get(bg, "new", short.fetch) // evicts one of the two
		require.Error(t, err)

		_, ok := entryOf(c, "spent")
		assert.False(t, ok, "the entry whose backoff is over is the victim")
		_, err = c.Get(bg, "backing-off", long.fetch)
		require.ErrorIs(t, err, ErrBackoff, "the running backoff survives the eviction")
		assert.EqualValues(t, 1, long.calls.Load(), "no fetch while backing off")
	})
}

// The hit path's reading lags the clock by up to a tick of the watchdog:
// an eviction judging by it misses a token that has expired within the
// last tick and evicts a fresh one instead.
func TestEvictionTakesATokenThatJustExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithMaxEntries(2))
		m := &minter{now: clk.Now, life: time.Hour}
		long := &minter{now: clk.Now, life: 2 * time.Hour}
		_, err := c.Get(bg, "fresh", long.fetch) // least recently used; starts the watchdog
		require.NoError(t, err)
		clk.Add(500 * time.Millisecond) // half-way between two ticks
		_, err = c.Get(bg, "expiring", m.fetch)
		require.NoError(t, err)
		e, ok := entryOf(c, "expiring")
		require.True(t, ok)
		expireAt := time.Unix(0, e.it.Load().expireAt)
		clk.Add(time.Until(expireAt) + 200*time.Millisecond) // expired, but not a tick later
		require.False(t, e.it.Load().usable(c.now()), "the token can no longer be served")

		_, err = c.Get(bg, "new", m.fetch) // evicts one of the two
		require.NoError(t, err)

		_, ok = entryOf(c, "expiring")
		assert.False(t, ok, "the expired entry is the victim")
		_, ok = entryOf(c, "fresh")
		assert.True(t, ok, "the fresh entry is kept")
	})
}
