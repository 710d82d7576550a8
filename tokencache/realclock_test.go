package tokencache

// Tests of the production clock path (no WithClock): timers that flip token
// states, the watchdog, the LRU tick, closing. Each runs in a
// testing/synctest bubble, where time.Now and timers follow a fake clock
// that advances only when every goroutine of the bubble is blocked.

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newRealCache returns a cache on the real (in a bubble, synctest's) clock,
// closed when the test ends.
func newRealCache(t *testing.T, opts ...Option) *Cache {
	t.Helper()
	c := New(opts...)
	t.Cleanup(func() { c.Close() })
	return c
}

// served reports whether the hit path serves key's token.
func served(t *testing.T, c *Cache, key string) bool {
	t.Helper()
	v, ok := c.entries.Load(key)
	require.True(t, ok, "no entry for %q", key)
	return v.hit(c.cfg.clock.tick())
}

func TestRealClockTicksFlipState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newRealCache(t, WithRefreshJitter(0))
		m := &minter{now: time.Now, life: time.Hour}
		s := c.Source("k", m.fetch)
		first, err := s.Token(bg)
		require.NoError(t, err)

		time.Sleep(55*time.Minute - time.Second)
		synctest.Wait() // the watchdog has handled this instant's tick
		assert.True(t, served(t, c, "k"), "fresh until the refresh time")
		tok, err := s.Token(bg)
		require.NoError(t, err)
		assert.Equal(t, first, tok)
		synctest.Wait()
		assert.EqualValues(t, 1, m.calls.Load(), "fresh: no refresh")

		time.Sleep(time.Second) // the tick at the refresh time
		synctest.Wait()
		assert.False(t, served(t, c, "k"), "stale: off the hit path")
		tok, err = s.Token(bg)
		require.NoError(t, err)
		assert.Equal(t, first, tok, "stale: still served")
		synctest.Wait()
		assert.EqualValues(t, 2, m.calls.Load(), "one background refresh")
		tok, err = s.Token(bg)
		require.NoError(t, err)
		assert.Equal(t, "tok-2", tok.Value)
		assert.True(t, served(t, c, "k"))
	})
}

func TestRealClockNeverServesPastExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The provider goes down after the first mint: the token is served
		// (stale) for as long as it may be, and never at or past ExpiresAt.
		c := newRealCache(t, WithRefreshJitter(0), WithBackoff(time.Second, time.Second))
		m := &minter{now: time.Now, life: 20 * time.Minute}
		first, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		m.err = errUpstream
		time.Sleep(19 * time.Minute)
		last := time.Time{}
		for range 1200 {
			time.Sleep(100 * time.Millisecond)
			if tok, err := c.Get(bg, "k", m.fetch); err == nil {
				require.Equal(t, first, tok)
				require.True(t, time.Now().Before(tok.ExpiresAt.Add(-safetyMargin)), "served inside the safety margin at %v", time.Now())
				last = time.Now()
			}
		}
		assert.Equal(t, first.ExpiresAt.Add(-safetyMargin-100*time.Millisecond), last, "served up to the safety margin")
	})
}

func TestWatchdogCatchesSuspend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// After a suspend the wall clock has jumped while the monotonic
		// clock, and every timer with it, stood still. A bubble cannot stop
		// its timers, so the cache's wall clock jumps instead.
		var skew atomic.Int64
		c := New()
		c.cfg.clock.(*coarseClock).wall = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
		t.Cleanup(func() { c.Close() })
		m := &minter{now: c.Now, life: time.Hour}
		s := c.Source("k", m.fetch)
		first, err := s.Token(bg)
		require.NoError(t, err)

		time.Sleep(2500 * time.Millisecond)
		synctest.Wait()
		assert.Equal(t, time.Now().Add(-500*time.Millisecond).UnixNano(), c.cfg.clock.tick(), "ticks follow the wall clock")

		skew.Store(int64(3 * time.Hour))
		assert.True(t, served(t, c, "k"), "until the next tick")
		time.Sleep(time.Second) // one watchdog tick
		synctest.Wait()
		assert.False(t, served(t, c, "k"), "the watchdog moved the coarse clock to the wall clock")
		tok, err := s.Token(bg)
		require.NoError(t, err)
		assert.NotEqual(t, first.Value, tok.Value, "an expired token is not served: a new one is minted")
		assert.True(t, c.Now().Before(tok.ExpiresAt))
		assert.EqualValues(t, 2, m.calls.Load())
	})
}

func TestLRUOnRealClockUsesWatchdogTicks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newRealCache(t, WithMaxEntries(2))
		m := &minter{now: time.Now, life: time.Hour}
		get := getter(t, c, m.fetch)
		get("a")
		time.Sleep(2 * time.Second)
		synctest.Wait()
		get("b")
		time.Sleep(2 * time.Second)
		synctest.Wait()
		get("a") // a is the most recently used now
		time.Sleep(2 * time.Second)
		synctest.Wait()
		get("c") // evicts b
		calls := m.calls.Load()
		get("a")
		assert.Equal(t, calls, m.calls.Load(), "a kept")
		get("b")
		assert.Equal(t, calls+1, m.calls.Load(), "b was evicted")
		assert.EqualValues(t, 2, c.Stats().Evictions)
	})
}

func TestColdHerdFetchesOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newRealCache(t)
		m := &minter{now: time.Now, life: time.Hour, delay: 20 * time.Millisecond}
		const callers = 2000 // the 10,000-goroutine herd lives in the benchmarks
		var wg sync.WaitGroup
		errs := make(chan error, callers)
		for range callers {
			wg.Go(func() {
				tok, err := c.Get(bg, "k", m.fetch)
				if err == nil && tok.Value != "tok-1" {
					err = fmt.Errorf("got %s", tok.Value)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		assert.EqualValues(t, 1, m.calls.Load())
		assert.EqualValues(t, 1, c.Stats().Fetches)
	})
}

func TestFailingHerdSharesErrorAndBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newRealCache(t)
		gate := make(chan struct{})
		m := &minter{now: time.Now, life: time.Hour, gate: gate, err: errUpstream}

		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for range 100 {
			wg.Go(func() {
				_, err := c.Get(bg, "k", m.fetch)
				errs <- err
			})
		}
		synctest.Wait() // the whole herd waits on the one fetch
		assert.EqualValues(t, 1, m.calls.Load())
		close(gate)
		wg.Wait()
		close(errs)
		for err := range errs {
			assert.ErrorIs(t, err, errUpstream)
			assert.NotErrorIs(t, err, ErrBackoff, "the herd shares the fetch's own error")
		}
		for range 10 {
			_, err := c.Get(bg, "k", m.fetch)
			assert.ErrorIs(t, err, ErrBackoff)
			assert.ErrorIs(t, err, errUpstream, "the last error, wrapped")
		}
		assert.EqualValues(t, 1, m.calls.Load(), "backoff: no second fetch")
		assert.EqualValues(t, 1, c.Stats().Failures)
	})
}

func TestCloseGivesWaitersErrClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New()
		m := &minter{now: time.Now, life: time.Hour}
		_, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)

		var fetchErr atomic.Pointer[error]
		blocked := func(ctx context.Context) (Token, error) {
			<-ctx.Done()
			err := ctx.Err()
			fetchErr.Store(&err)
			return Token{}, err
		}
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for range 10 {
			wg.Go(func() {
				_, err := c.Get(bg, "other", blocked)
				errs <- err
			})
		}
		synctest.Wait()
		require.NoError(t, c.Close())
		wg.Wait()
		close(errs)
		for err := range errs {
			assert.ErrorIs(t, err, ErrClosed)
			assert.NotErrorIs(t, err, context.Canceled)
		}
		require.NotNil(t, fetchErr.Load(), "Close cancels fetches in flight and waits for them")
		assert.ErrorIs(t, *fetchErr.Load(), context.Canceled)

		require.NoError(t, c.Close(), "idempotent")
		_, err = c.Get(bg, "k", m.fetch)
		assert.ErrorIs(t, err, ErrClosed)
		_, err = c.GetFresh(bg, "k", m.fetch)
		assert.ErrorIs(t, err, ErrClosed)
		_, err = c.Source("k", m.fetch).Token(bg)
		assert.ErrorIs(t, err, ErrClosed)
	})
}

func TestCloseDuringFetchReturnsErrClosedToItsCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New()
		done := make(chan error)
		go func() {
			_, err := c.Get(bg, "k", func(ctx context.Context) (Token, error) {
				<-ctx.Done()
				return Token{}, fmt.Errorf("provider: %w", ctx.Err())
			})
			done <- err
		}()
		// The flight itself, as a Store-less background refresh sees it.
		flown := make(chan error)
		go func() {
			_, err := flyOnce(c, "other", func(ctx context.Context) (Token, error) {
				<-ctx.Done()
				return Token{}, fmt.Errorf("provider: %w", ctx.Err())
			})
			flown <- err
		}()
		synctest.Wait()
		require.NoError(t, c.Close())
		assert.ErrorIs(t, <-done, ErrClosed)
		err := <-flown
		assert.ErrorIs(t, err, ErrClosed)
		assert.NotErrorIs(t, err, context.Canceled)
		r, err := flyOnce(c, "k", func(context.Context) (Token, error) { return Token{}, errUpstream })
		assert.ErrorIs(t, err, ErrClosed, "no flight after Close")
		assert.Equal(t, Token{}, r)
	})
}

func TestStoreErrorEndsLockWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		c := newRealCache(t, WithStore(st)) // lock wait: the default 5 s
		m := &minter{now: time.Now, life: time.Hour}
		_, held, err := st.TryLock(bg, "k", time.Minute) // a peer is minting
		require.NoError(t, err)
		require.True(t, held)
		st.failLoad.Store(true) // and Redis is in trouble

		start := time.Now()
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-1", tok.Value, "minted locally")
		assert.Less(t, time.Since(start), 100*time.Millisecond, "the first Store error ends the wait")
		assert.EqualValues(t, 1, m.calls.Load())
	})
}

func TestStoreLockWaitPollsUntilTheHolderSaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		c := newRealCache(t, WithStore(st))
		m := &minter{now: time.Now, life: time.Hour}
		release, held, err := st.TryLock(bg, "k", time.Minute)
		require.NoError(t, err)
		require.True(t, held)
		go func() {
			time.Sleep(time.Second)
			tok := Token{Value: "from-peer", ExpiresAt: time.Now().Add(time.Hour)}
			_ = st.Save(bg, "k", Entry{Token: tok, RefreshAt: tok.ExpiresAt.Add(-5 * time.Minute)})
			_ = release(bg)
		}()
		start := time.Now()
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "from-peer", tok.Value)
		assert.EqualValues(t, 0, m.calls.Load())
		// Polls back off to 200 ms: the token is seen within one poll.
		assert.Less(t, time.Since(start), time.Second+250*time.Millisecond)
		assert.Greater(t, st.loads.Load(), int64(4), "it polled")
	})
}

func TestStoreLockHolderDiesThenMint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		c := newRealCache(t, WithStore(st), WithLockWait(2*time.Second))
		m := &minter{now: time.Now, life: time.Hour}
		_, ok, _ := st.TryLock(bg, "k", time.Minute) // holder never saves nor releases
		require.True(t, ok)
		start := time.Now()
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-1", tok.Value)
		assert.Equal(t, 2*time.Second, time.Since(start), "waited the lock wait, then minted")
	})
}

func TestRefreshJitterSpreadsReplicas(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 16 replicas without a Store mint at the same instant; with the
		// default jitter their refreshes spread over the 30 s before the
		// 5-minute margin instead of all landing in one second.
		const replicas = 16
		var when [replicas]atomic.Int64
		caches := make([]*Cache, replicas)
		fetches := make([]FetchFunc, replicas)
		start := time.Now()
		for i := range caches {
			caches[i] = newRealCache(t)
			var n atomic.Int64
			fetches[i] = func(context.Context) (Token, error) {
				if n.Add(1) == 2 {
					when[i].Store(int64(time.Since(start)))
				}
				return Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}, nil
			}
			_, err := caches[i].Get(bg, "k", fetches[i])
			require.NoError(t, err)
		}
		time.Sleep(54 * time.Minute)
		for range 70 { // callers ask every second
			for i, c := range caches {
				_, err := c.Get(bg, "k", fetches[i])
				require.NoError(t, err)
			}
			time.Sleep(time.Second)
			synctest.Wait()
		}
		seconds := map[int64]bool{}
		for i := range when {
			d := time.Duration(when[i].Load())
			require.NotZero(t, d, "replica %d refreshed", i)
			assert.GreaterOrEqual(t, d, 54*time.Minute+30*time.Second, "at most 10%% of the margin early")
			assert.LessOrEqual(t, d, 55*time.Minute, "never later than the margin")
			seconds[int64(d/time.Second)] = true
		}
		// Without jitter all 16 land in one second. With it, fewer than 4
		// distinct seconds out of the 30 has a chance below one in 10^9.
		assert.GreaterOrEqual(t, len(seconds), replicas/4, "refreshes spread over distinct seconds: %v", seconds)
	})
}

func TestSourceHitsAreCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newRealCache(t)
		m := &minter{now: time.Now, life: time.Hour}
		a, b := c.Source("k", m.fetch), c.Source("k", m.fetch)
		_, err := a.Token(bg) // miss: mints
		require.NoError(t, err)
		_, err = b.Token(bg) // b's first call resolves the entry on the slow path: a hit
		require.NoError(t, err)
		for range 3 {
			_, err = a.Token(bg)
			require.NoError(t, err)
		}
		_, err = c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		s := c.Stats()
		assert.EqualValues(t, 5, s.Hits)
		assert.EqualValues(t, 1, s.Misses)
		runtime.KeepAlive(b)
	})
}

func TestStaleRefreshFailureLetsTheNextStaleReadRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newRealCache(t, WithRefreshJitter(0), WithBackoff(time.Second, time.Second))
		m := &minter{now: time.Now, life: time.Hour}
		first, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		time.Sleep(56 * time.Minute)
		m.err = errUpstream
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, first, tok)
		synctest.Wait()
		require.EqualValues(t, 2, m.calls.Load())
		time.Sleep(2 * time.Second) // past the backoff
		m.err = nil
		_, err = c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		synctest.Wait()
		assert.EqualValues(t, 3, m.calls.Load(), "a second background refresh")
		tok, err = c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-3", tok.Value)
	})
}

func TestRealClockShortLivedTokenNeverServedLate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A 1.5 s token minted half a second after a tick refreshes at
		// 0.75 s and stops being served at 1.125 s: the coarse clock lags by
		// up to a tick, so the hit path must not serve a token this close
		// to its end at all.
		c := newRealCache(t, WithRefreshJitter(0))
		warm := &minter{now: time.Now, life: time.Hour}
		_, err := c.Get(bg, "warm", warm.fetch) // starts the watchdog
		require.NoError(t, err)
		time.Sleep(500 * time.Millisecond)
		m := &minter{now: time.Now, life: 1500 * time.Millisecond}
		first, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.False(t, served(t, c, "k"), "within two ticks of its end: slow path only")
		time.Sleep(1400 * time.Millisecond)
		synctest.Wait()
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.NotEqual(t, first.Value, tok.Value, "past the safety margin: a new token")
		assert.True(t, time.Now().Before(tok.ExpiresAt))
	})
}

func TestRealClockStatesNeverGoBackWithTheWallClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The wall clock is stepped back (NTP) after the token turned stale:
		// the cache keeps judging by the latest time it has seen, so the
		// token stays stale and is refreshed.
		var skew atomic.Int64
		c := New(WithRefreshJitter(0))
		c.cfg.clock.(*coarseClock).wall = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
		t.Cleanup(func() { c.Close() })
		m := &minter{now: c.Now, life: time.Hour}
		first, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		time.Sleep(56 * time.Minute)
		synctest.Wait()
		skew.Store(int64(-10 * time.Minute))
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, first, tok)
		synctest.Wait()
		assert.EqualValues(t, 2, m.calls.Load(), "still stale: refreshed")
		assert.EqualValues(t, 1, c.Stats().StaleHits)
	})
}

func TestRealClockHitPathStopsTwoTicksBeforeTheSafetyMargin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A 4 s token minted at a tick refreshes at 2 s and stops being
		// served at 3 s; the hit path leaves it to the slow path from 1 s.
		c := newRealCache(t, WithRefreshJitter(0))
		m := &minter{now: time.Now, life: 4 * time.Second}
		_, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.True(t, served(t, c, "k"))
		time.Sleep(time.Second)
		synctest.Wait()
		assert.False(t, served(t, c, "k"), "expireAt (3 s) minus two ticks")
	})
}
