package tokencache

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Stale reads while one background refresh runs cost nothing: no call
// into singleflight (which allocates and queues a channel per caller).
func TestStaleReadsDuringARefreshAllocateNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		gate := make(chan struct{})
		m := &minter{now: clk.Now, life: time.Hour}
		_, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		m.gate = gate
		clk.Add(56 * time.Minute)
		_, err = c.Get(bg, "k", m.fetch) // starts the refresh
		require.NoError(t, err)
		synctest.Wait()
		fetch := m.fetch // a method value allocates where it is made
		allocs := testing.AllocsPerRun(1000, func() { _, _ = c.Get(bg, "k", fetch) })
		assert.Zero(t, allocs)
		close(gate)
		synctest.Wait()
		assert.EqualValues(t, 2, m.calls.Load())
	})
}

// A long run of failures with a large minimum backoff neither overflows
// nor panics: the wait stays within the maximum.
func TestBackoffNeverOverflows(t *testing.T) {
	c := New(WithBackoff(10*time.Second, time.Minute))
	defer c.Close()
	for n := 1; n < 70; n++ {
		d := c.backoff(n, errUpstream)
		require.Positive(t, d, "failure %d", n)
		require.LessOrEqual(t, d, time.Minute, "failure %d", n)
	}
}

// panicStore panics in every method.
type panicStore struct{}

func (panicStore) Load(context.Context, string) (Entry, bool, error) { panic("load") }
func (panicStore) Save(context.Context, string, Entry) error         { panic("save") }
func (panicStore) Delete(context.Context, string, Token) error       { panic("delete") }
func (panicStore) TryLock(context.Context, string, time.Duration) (func(context.Context) error, bool, error) {
	panic("lock")
}

// A Store that panics fails no Get and crashes no process.
func TestPanickingStoreFailsNoGet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithStore(panicStore{}))
		m := &minter{now: clk.Now, life: time.Hour}
		tok, err := c.GetWith(bg, "k", Fetcher{Fetch: m.fetch, Check: func(Token) error { panic("check") }})
		require.NoError(t, err)
		c.Invalidate("k", tok)
		_, err = c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
	})
}

// A flight that meets the backoff a failed re-mint left still serves the
// token Invalidate dropped: a herd after a 401 gets no ErrBackoff while
// that token is usable.
func TestHerdAfterAFailedRemintGetsTheLastResort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour}
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		c.Invalidate("k", tok)
		m.err = errUpstream
		_, err = c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		got, err := flyOnce(c, "k", m.fetch) // a flight reaching the backoff
		require.NoError(t, err)
		assert.Equal(t, tok.Value, got.Value)
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				got, err := c.Get(bg, "k", m.fetch)
				assert.NoError(t, err)
				assert.Equal(t, tok.Value, got.Value)
			})
		}
		wg.Wait()
		assert.EqualValues(t, 2, m.calls.Load())
	})
}

// An entry that is backing off, or holds a last resort, is not "holding
// nothing": eviction takes the least recently used entry instead.
func TestEvictionKeepsAKeyThatIsBackingOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithMaxEntries(2), withSeed(1))
		ok := &minter{now: clk.Now, life: time.Hour}
		_, err := c.Get(bg, "b", ok.fetch) // the older entry
		require.NoError(t, err)
		clk.Add(2 * time.Second)
		failing := &minter{now: clk.Now, life: time.Hour}
		tok, err := c.Get(bg, "a", failing.fetch)
		require.NoError(t, err)
		c.Invalidate("a", tok)
		failing.err = errUpstream
		_, err = c.Get(bg, "a", failing.fetch) // fails; a backs off on its last resort
		require.NoError(t, err)
		e, _ := entryOf(c, "a")
		assert.False(t, e.spent(c.now()))
		_, err = c.Get(bg, "c", ok.fetch) // evicts one
		require.NoError(t, err)
		_, held := c.entries.Load("a")
		assert.True(t, held, "the backing-off key kept its backoff and last resort")
		_, held = c.entries.Load("b")
		assert.False(t, held, "the least recently used went instead")
		assert.EqualValues(t, 2, failing.calls.Load(), "no mint inside the backoff")
	})
}

// After the wall clock steps back, a token minted then is served from
// memory: the cache does not mint on every Get until the clock catches up.
func TestWallClockStepBackDoesNotMintOnEveryGet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var skew time.Duration
		var mu sync.Mutex
		c := New(WithRefreshJitter(0))
		t.Cleanup(func() { c.Close() })
		c.cfg.clock.(*coarseClock).wall = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return time.Now().Add(skew)
		}
		m := &minter{now: c.Now, life: time.Hour}
		_, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		time.Sleep(3 * time.Second)
		synctest.Wait()
		mu.Lock()
		skew = -2 * time.Hour // NTP steps the clock back
		mu.Unlock()
		for range 20 {
			_, err := c.Get(bg, "other", m.fetch)
			require.NoError(t, err)
		}
		assert.EqualValues(t, 2, m.calls.Load(), "one mint for the new key, then hits")
	})
}

// A late 401 for an older token does not replace the value that must never
// be reloaded from the Store.
func TestLateInvalidateKeepsTheRejectedValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour}
		first, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		c.Invalidate("k", first)
		second, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		c.Invalidate("k", Token{Value: "an-even-older-one"})
		e, _ := entryOf(c, "k")
		e.mu.Lock()
		defer e.mu.Unlock()
		assert.True(t, e.isRejected(first.Value))
		assert.Equal(t, second.Value, e.token().tok.Value, "the held token stays")
	})
}

// Stats counts a fetch once it has ended: one still running is neither a
// mint nor a failure, so counters derived from Stats only ever grow.
func TestStatsCountFetchesWhenTheyEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		gate := make(chan struct{})
		m := &minter{now: clk.Now, life: time.Hour, gate: gate, err: errUpstream}
		go func() { _, _ = c.Get(bg, "k", m.fetch) }()
		synctest.Wait()
		s := c.Stats()
		assert.Zero(t, s.Fetches)
		assert.Zero(t, s.Mints)
		close(gate)
		synctest.Wait()
		s = c.Stats()
		assert.EqualValues(t, 1, s.Fetches)
		assert.EqualValues(t, 1, s.Failures)
		assert.Zero(t, s.Mints)
	})
}

// The offset a new item is shifted by is never negative, and a token
// installed on a clock that did not step back expires when it should: two
// readings of the clock a few nanoseconds apart must not make it eternal.
func TestInstalledTokenStillExpires(t *testing.T) {
	c := New()
	defer c.Close()
	for range 1000 {
		require.GreaterOrEqual(t, c.ahead(), int64(0))
	}
	now := time.Now()
	it := newItem(nil, Token{Value: "v", ExpiresAt: now.Add(4 * time.Second)}, now.Add(2*time.Second), c.ahead())
	assert.Less(t, it.expireAt, now.Add(time.Hour).UnixNano())
	assert.Equal(t, int64(5), sat(2, 3))
	assert.Equal(t, int64(-7), sat(-7, 0))
}

// A clock that moves between two readings (every real one) must not turn
// the shift for a stepped-back clock negative: the installed token keeps
// its expiry instead of becoming eternal.
func TestInstalledTokenKeepsItsExpiryOnAMovingClock(t *testing.T) {
	var ticks atomic.Int64
	base := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	clk := func() time.Time { return base.Add(time.Duration(ticks.Add(1))) }
	c := New(WithClock(clk))
	defer c.Close()
	_, err := c.Get(bg, "k", func(context.Context) (Token, error) {
		return Token{Value: "v", ExpiresAt: clk().Add(time.Hour)}, nil
	})
	require.NoError(t, err)
	e, _ := entryOf(c, "k")
	assert.Less(t, e.token().expireAt, base.Add(2*time.Hour).UnixNano(), "the token became eternal")
}
