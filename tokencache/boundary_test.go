package tokencache

// Boundaries and arithmetic that only an exact test tells apart: the
// saturating add, the backoff window's end, the backoff's range, the Store
// poll's schedule and the Stats sum.

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSatAddsAndSaturates(t *testing.T) {
	for _, c := range []struct{ a, b, want int64 }{
		{5, 3, 8},
		{5, 0, 5},
		{-10, 3, -7},
		{math.MaxInt64 - 1, 1, math.MaxInt64},
		{math.MaxInt64 - 1, 5, math.MaxInt64},
		{math.MaxInt64, math.MaxInt64, math.MaxInt64},
	} {
		assert.Equal(t, c.want, sat(c.a, c.b), "sat(%d, %d)", c.a, c.b)
	}
}

// The n-th consecutive failure waits between half and all of
// min·2^(n-1), capped at the maximum, whatever n; a retry hint above that
// wins, up to MaxRetryAfterHint.
func TestBackoffRange(t *testing.T) {
	c := New(WithBackoff(time.Second, 30*time.Second))
	defer c.Close()
	for n := 1; n <= 70; n++ {
		base := 30 * time.Second
		if n <= 5 {
			base = time.Second << (n - 1)
		}
		lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
		for range 400 {
			d := c.backoff(n, errors.New("down"))
			lo, hi = min(lo, d), max(hi, d)
		}
		require.GreaterOrEqual(t, lo, base/2, "failure %d", n)
		require.LessOrEqual(t, hi, base, "failure %d", n)
		require.Less(t, lo, base/2+base/20, "failure %d: the lower half is reached", n)
		require.Greater(t, hi, base-base/20, "failure %d: the top is reached", n)
	}
	assert.Equal(t, 45*time.Second, c.backoff(1, hintErr{d: 45 * time.Second}))
	assert.Equal(t, MaxRetryAfterHint, c.backoff(1, hintErr{d: 24 * time.Hour}))
	assert.LessOrEqual(t, c.backoff(1, hintErr{d: time.Millisecond}), time.Second, "a small hint does not lengthen it")
}

// A backoff ends exactly when it says: one nanosecond before, Get returns
// ErrBackoff without fetching; at its end, Get fetches.
func TestBackoffEndsOnTheNanosecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithBackoff(time.Second, time.Second))
		m := &minter{now: clk.Now, life: time.Hour, err: hintErr{d: 10 * time.Second}}
		_, err := c.Get(bg, "k", m.fetch)
		require.Error(t, err)
		require.EqualValues(t, 1, m.calls.Load())

		clk.Add(10*time.Second - time.Nanosecond)
		_, err = c.Get(bg, "k", m.fetch)
		require.ErrorIs(t, err, ErrBackoff)
		require.EqualValues(t, 1, m.calls.Load())
		_, err = flyOnce(c, "k", m.fetch)
		require.ErrorIs(t, err, ErrBackoff, "the flight keeps the same window")
		require.EqualValues(t, 1, m.calls.Load())

		clk.Add(time.Nanosecond)
		m.err = nil
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-2", tok.Value)
	})
}

// While another process holds the Store's refresh lock, the cache polls the
// Store 10, 30, 70, 150, 310, 510, 710 and 910 ms into the lock wait (the
// gap doubling from 10 ms up to 200 ms), then mints itself at its end.
func TestLockWaitPollSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		st.locks["k"] = -1 // held by a peer that never saves
		c, clk := newTestCache(t, WithStore(st), WithLockWait(time.Second))
		m := &minter{now: clk.Now, life: time.Hour}
		start := time.Now()
		_, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, time.Second, time.Since(start), "the whole lock wait, no more")
		assert.EqualValues(t, 1+8, st.loads.Load(), "one load before the lock, then eight polls")
		assert.EqualValues(t, 1, m.calls.Load())
	})
}

// The first Store error during the lock wait ends it: the cache mints at
// once rather than poll a Store in trouble.
func TestLockWaitEndsAtTheFirstStoreError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		st.locks["k"] = -1
		c, clk := newTestCache(t, WithStore(st), WithLockWait(time.Second))
		m := &minter{now: clk.Now, life: time.Hour}
		go func() {
			time.Sleep(20 * time.Millisecond)
			st.failLoad.Store(true)
		}()
		start := time.Now()
		_, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, 30*time.Millisecond, time.Since(start), "ended by the poll at 30 ms that failed")
		assert.EqualValues(t, 3, st.loads.Load())
	})
}

// Fetches counts every fetch that ended: minted, answered by the Store, or
// failed.
func TestStatsFetchesIsTheSumOfItsParts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		c, clk := newTestCache(t, WithStore(st))
		peer, _ := newTestCache(t, WithStore(st))
		m := &minter{now: clk.Now, life: time.Hour}
		for _, k := range []string{"a", "b", "c"} {
			_, err := peer.Get(bg, k, m.fetch)
			require.NoError(t, err)
		}
		for _, k := range []string{"a", "b", "c", "d", "e"} { // three from the Store, two minted
			_, err := c.Get(bg, k, m.fetch)
			require.NoError(t, err)
		}
		bad := &minter{now: clk.Now, err: errors.New("down")}
		_, err := c.Get(bg, "f", bad.fetch)
		require.Error(t, err)
		s := c.Stats()
		assert.EqualValues(t, 3, s.StoreHits)
		assert.EqualValues(t, 2, s.Mints)
		assert.EqualValues(t, 1, s.Failures)
		assert.EqualValues(t, 6, s.Fetches)
		assert.Equal(t, 6, s.Entries)
	})
}

// A key keeps its recency when its token is replaced: a fetch does not make
// the newest key look like the least recently used one.
func TestNewTokenKeepsItsKeysRecency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithMaxEntries(2))
		m := &minter{now: clk.Now, life: time.Hour}
		get := getter(t, c, m.fetch)
		get("a")
		clk.Add(2 * time.Second)
		get("a") // a hit: a was used at 2 s
		clk.Add(2 * time.Second)
		get("b") // b, new at 4 s, is the most recent
		clk.Add(2 * time.Second)
		get("c") // evicts a
		_, ok := entryOf(c, "a")
		assert.False(t, ok, "a was the least recently used")
		_, ok = entryOf(c, "b")
		assert.True(t, ok, "b, fetched last, stays")
	})
}

// A key that is backing off holds something worth keeping (its backoff:
// evicting it would let the next Get fetch at once), until the backoff's
// very end, when it is the first to go.
func TestEvictionSparesABackoffUntilItEnds(t *testing.T) {
	for _, at := range []time.Duration{10*time.Second - time.Nanosecond, 10 * time.Second} {
		synctest.Test(t, func(t *testing.T) {
			c, clk := newTestCache(t, WithMaxEntries(2), WithBackoff(time.Second, time.Second))
			ok := &minter{now: clk.Now, life: time.Hour}
			down := &minter{now: clk.Now, err: hintErr{d: 10 * time.Second}}
			_, err := c.Get(bg, "b", ok.fetch)
			require.NoError(t, err)
			clk.Add(2 * time.Second)
			_, err = c.Get(bg, "a", down.fetch) // a: no token, backing off for 10 s
			require.Error(t, err)
			clk.Add(at)
			_, err = c.Get(bg, "c", ok.fetch)
			require.NoError(t, err)
			_, aHeld := entryOf(c, "a")
			_, bHeld := entryOf(c, "b")
			if at < 10*time.Second {
				assert.True(t, aHeld, "a's backoff still runs: b, least recently used, goes")
				assert.False(t, bHeld)
			} else {
				assert.False(t, aHeld, "a's backoff has ended: it holds nothing and goes first")
				assert.True(t, bHeld)
			}
		})
	}
}

// Among keys last used at the same tick, the one that came first goes
// first.
func TestEvictionBreaksTiesByAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithMaxEntries(3))
		m := &minter{now: clk.Now, life: time.Hour}
		get := getter(t, c, m.fetch)
		get("a")
		clk.Add(2 * time.Second)
		for _, k := range []string{"a", "b", "c", "d"} { // a hit, then three new keys, at one tick
			get(k)
		}
		_, ok := entryOf(c, "a")
		assert.False(t, ok, "a, the first of the keys used at that tick, was evicted")
		for _, k := range []string{"b", "c", "d"} {
			_, ok := entryOf(c, k)
			assert.True(t, ok, k)
		}
	})
}

// A NaN jitter is ignored: it must not push a token's refresh and expiry
// past its ExpiresAt.
func TestNaNJitterIsIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithRefreshJitter(math.NaN()))
		m := &minter{now: clk.Now, life: time.Hour}
		first, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, first.ExpiresAt.Add(-DefaultEarlyExpiry), c.refreshAt(first, clk.Now()), "no jitter")
		clk.Add(time.Hour + time.Minute)
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.NotEqual(t, first.Value, tok.Value, "an expired token is never served")
	})
}

// A flight that ends after Close began hands out no token, even one its
// fetch returned: every caller waiting then gets ErrClosed, whatever its
// context.
func TestFlightEndingAfterCloseGivesErrClosed(t *testing.T) {
	for _, name := range []string{"background", "cancellable"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := New()
				release := make(chan struct{})
				fetch := func(context.Context) (Token, error) {
					<-release // already on the wire: answers whatever the context
					return Token{Value: "tok", ExpiresAt: time.Now().Add(time.Hour)}, nil
				}
				ctx, cancel := context.WithCancel(bg)
				defer cancel()
				if name == "background" {
					ctx = bg
				}
				errs := make(chan error, 1)
				go func() {
					_, err := c.Get(ctx, "k", fetch)
					errs <- err
				}()
				synctest.Wait()
				closed := make(chan struct{})
				go func() { c.Close(); close(closed) }()
				synctest.Wait()
				close(release)
				assert.ErrorIs(t, <-errs, ErrClosed)
				<-closed
			})
		})
	}
}

// Invalidate of a key this cache never held still deletes the refused
// token from the Store (a peer saved it); for a key it holds, the Store
// event names the key's provider.
func TestInvalidateReachesTheStoreForUnknownAndKnownKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		rec := &recorder{}
		c, clk := newTestCache(t, WithStore(st), WithObserver(rec))
		peer := Token{Value: "peer", ExpiresAt: clk.Now().Add(time.Hour)}
		st.entries["unknown"] = Entry{Token: peer, RefreshAt: peer.ExpiresAt.Add(-time.Minute)}
		c.Invalidate("unknown", peer)
		_, held := st.entries["unknown"]
		assert.False(t, held, "deleted from the Store")

		m := &minter{now: clk.Now, life: time.Hour}
		tok, err := c.GetWith(bg, "known", Fetcher{Provider: "cartevo", Fetch: m.fetch})
		require.NoError(t, err)
		c.Invalidate("known", tok)
		var deletes []Event
		for _, ev := range rec.events {
			if ev.Kind == EventStore && ev.Op == OpDelete {
				deletes = append(deletes, ev)
			}
		}
		require.Len(t, deletes, 2)
		assert.Equal(t, "", deletes[0].Provider, "a key this cache never held has no provider")
		assert.Equal(t, "cartevo", deletes[1].Provider)
		assert.Equal(t, keyHash("known"), deletes[1].KeyHash)
	})
}

// The shortest backoff there is, one nanosecond, is a backoff, not a
// panic in the jitter's arithmetic.
func TestNanosecondBackoff(t *testing.T) {
	c := New(WithBackoff(time.Nanosecond, time.Nanosecond))
	defer c.Close()
	for n := 1; n <= 3; n++ {
		d := c.backoff(n, errors.New("down"))
		assert.GreaterOrEqual(t, d, time.Duration(0))
		assert.LessOrEqual(t, d, time.Nanosecond)
	}
}

// The backoff error says how long the key has left to wait: what is left
// of the wait, not more and never negative.
func TestBackoffErrorSaysTheTimeLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithBackoff(10*time.Second, 10*time.Second))
		m := &minter{now: clk.Now, life: time.Hour, err: errUpstream}
		_, err := c.Get(bg, "k", m.fetch)
		require.ErrorIs(t, err, errUpstream)
		clk.Add(2 * time.Second) // the wait is 5–10 s (jittered): 3–8 s are left
		_, err = c.Get(bg, "k", m.fetch)
		require.ErrorIs(t, err, ErrBackoff)
		msg := err.Error()
		open, end := strings.Index(msg, "("), strings.Index(msg, " left)")
		require.True(t, open >= 0 && end > open, msg)
		left, perr := time.ParseDuration(msg[open+1 : end])
		require.NoError(t, perr, msg)
		assert.GreaterOrEqual(t, left, 3*time.Second, err.Error())
		assert.LessOrEqual(t, left, 8*time.Second, err.Error())
	})
}
