package tokencache

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var bg = context.Background()

func TestGetFreshIsCached(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour}

		tok1, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-1", tok1.Value)
		assert.Equal(t, clk.Now().Add(time.Hour), tok1.ExpiresAt)

		clk.Add(54 * time.Minute) // 6 min left: still outside the 5 min margin
		tok2, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, tok1, tok2)
		assert.EqualValues(t, 1, m.calls.Load())

		s := c.Stats()
		assert.EqualValues(t, 1, s.Hits)
		assert.EqualValues(t, 1, s.Misses)
		assert.EqualValues(t, 1, s.Fetches)
		assert.Equal(t, 1, s.Entries)
	})
}

func TestKeysAreIndependent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour}
		a, err := c.Get(bg, "a", m.fetch)
		require.NoError(t, err)
		b, err := c.Get(bg, "b", m.fetch)
		require.NoError(t, err)
		assert.NotEqual(t, a.Value, b.Value)
		assert.EqualValues(t, 2, m.calls.Load())
	})
}

func TestStaleServesAndRefreshesOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		gate := make(chan struct{})
		m := &minter{now: clk.Now, life: time.Hour}
		first, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)

		m.gate = gate
		clk.Add(56 * time.Minute) // inside the margin: stale
		for range 50 {
			tok, err := c.Get(bg, "k", m.fetch)
			require.NoError(t, err)
			assert.Equal(t, first, tok, "a stale token is served while it refreshes")
		}
		settle(t, func() bool { return m.calls.Load() >= 2 }, "background refresh started")
		for range 50 {
			_, _ = c.Get(bg, "k", m.fetch)
		}
		assert.EqualValues(t, 2, m.calls.Load(), "one background refresh for 100 stale reads")
		assert.EqualValues(t, 100, c.Stats().StaleHits)

		close(gate)
		settle(t, func() bool {
			tok, _ := c.Get(bg, "k", m.fetch)
			return tok.Value == "tok-2"
		}, "refreshed token installed")
		assert.EqualValues(t, 2, m.calls.Load())
	})
}

func TestExpiredWaitsForFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour}
		_, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)

		// Within the 10 s safety margin of ExpiresAt the token is not served.
		clk.Add(time.Hour - 5*time.Second)
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-2", tok.Value)
		assert.True(t, tok.ExpiresAt.After(clk.Now()))
	})
}

func TestNeverReturnsExpiredToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Step a fake clock through two whole lifetimes with background refreshes
		// that may lag: every token returned must be before its ExpiresAt.
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: 10 * time.Minute}
		for range 2 * 10 * 60 {
			tok, err := c.Get(bg, "k", m.fetch)
			require.NoError(t, err)
			require.True(t, clk.Now().Before(tok.ExpiresAt), "token at or past its ExpiresAt")
			clk.Add(time.Second)
		}
	})
}

func TestShortLivedTokenUsesHalfItsLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: 4 * time.Minute} // < 2 × 5 min
		_, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)

		clk.Add(119 * time.Second)
		_, err = c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.EqualValues(t, 0, c.Stats().StaleHits, "fresh for the first half")

		clk.Add(2 * time.Second)
		_, err = c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.EqualValues(t, 1, c.Stats().StaleHits, "stale in the second half")
	})
}

func TestEarlyExpiryOption(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithEarlyExpiry(20*time.Minute))
		m := &minter{now: clk.Now, life: time.Hour}
		_, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		clk.Add(41 * time.Minute)
		_, err = c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.EqualValues(t, 1, c.Stats().StaleHits)
	})
}

func TestCallerCancelDoesNotFailOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		gate := make(chan struct{})
		m := &minter{now: clk.Now, life: time.Hour, gate: gate}

		leaderCtx, cancel := context.WithCancel(bg)
		leaderErr := make(chan error, 1)
		go func() {
			_, err := c.Get(leaderCtx, "k", m.fetch)
			leaderErr <- err
		}()
		settle(t, func() bool { return m.calls.Load() == 1 }, "leader started the fetch")

		var wg sync.WaitGroup
		results := make([]Token, 10)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], _ = c.Get(bg, "k", m.fetch)
			}()
		}
		cancel()
		synctest.Wait()
		select {
		case err := <-leaderErr:
			assert.ErrorIs(t, err, context.Canceled)
		default:
			t.Fatal("cancelled leader kept waiting")
		}
		close(gate)
		wg.Wait()
		for _, tok := range results {
			assert.Equal(t, "tok-1", tok.Value)
		}
		assert.EqualValues(t, 1, m.calls.Load())
	})
}

func TestFetchTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithFetchTimeout(30*time.Millisecond))
		m := &minter{now: clk.Now, life: time.Hour, gate: make(chan struct{})}
		_, err := c.Get(bg, "k", m.fetch)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestFetchSeesCallerValuesNotCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestCache(t)
		type ctxKey struct{}
		ctx, cancel := context.WithCancel(context.WithValue(bg, ctxKey{}, "trace-1"))
		defer cancel()
		var seen any
		var deadline bool
		_, err := c.Get(ctx, "k", func(fctx context.Context) (Token, error) {
			seen = fctx.Value(ctxKey{})
			_, deadline = fctx.Deadline()
			return Token{Value: "v", ExpiresAt: c.Now().Add(time.Hour)}, nil
		})
		require.NoError(t, err)
		assert.Equal(t, "trace-1", seen)
		assert.True(t, deadline, "the fetch has its own timeout")
	})
}

var errUpstream = errors.New("upstream down")

type hintErr struct{ d time.Duration }

func (h hintErr) Error() string                 { return "slow down" }
func (h hintErr) RetryAfterHint() time.Duration { return h.d }

func TestBackoffGrowsAndResets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithBackoff(time.Second, 8*time.Second))
		m := &minter{now: clk.Now, life: time.Hour, err: errUpstream}
		_, err := c.Get(bg, "k", m.fetch)
		require.ErrorIs(t, err, errUpstream)
		require.NotErrorIs(t, err, ErrBackoff, "the first failure is the fetch's own")

		_, err = c.Get(bg, "k", m.fetch)
		require.ErrorIs(t, err, ErrBackoff)
		assert.EqualValues(t, 1, m.calls.Load())

		// Each wait lies within [d/2, d] for d = 1, 2, 4, 8, 8 s.
		for i, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
			calls := m.calls.Load()
			clk.Add(d/2 - time.Millisecond)
			_, err = c.Get(bg, "k", m.fetch)
			require.ErrorIs(t, err, ErrBackoff, "failure %d: still backing off before d/2", i+1)
			clk.Add(d/2 + 2*time.Millisecond)
			_, err = c.Get(bg, "k", m.fetch)
			require.NotErrorIs(t, err, ErrBackoff, "failure %d: backoff over after d", i+1)
			require.Equal(t, calls+1, m.calls.Load())
		}

		m.err = nil
		clk.Add(9 * time.Second)
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.NotEmpty(t, tok.Value)
		assert.EqualValues(t, 6, c.Stats().Failures)
	})
}

func TestRetryAfterHintExtendsBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour, err: fmt.Errorf("wrapped: %w", hintErr{d: 45 * time.Second})}
		_, err := c.Get(bg, "k", m.fetch)
		var h hintErr
		require.ErrorAs(t, err, &h)

		clk.Add(44 * time.Second)
		_, err = c.Get(bg, "k", m.fetch)
		require.ErrorIs(t, err, ErrBackoff)
		require.ErrorAs(t, err, &h, "errors.As sees through the backoff error")
		assert.EqualValues(t, 1, m.calls.Load())

		clk.Add(2 * time.Second)
		_, _ = c.Get(bg, "k", m.fetch)
		assert.EqualValues(t, 2, m.calls.Load())
	})
}

func TestRetryAfterHintIsCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour, err: hintErr{d: 24 * time.Hour}}
		_, _ = c.Get(bg, "k", m.fetch)
		clk.Add(MaxRetryAfterHint + time.Second)
		_, _ = c.Get(bg, "k", m.fetch)
		assert.EqualValues(t, 2, m.calls.Load())
	})
}

func TestBackoffServesStaleToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour}
		first, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)

		m.err = errUpstream
		clk.Add(56 * time.Minute)
		tok, err := c.Get(bg, "k", m.fetch) // stale: serves and refreshes in background
		require.NoError(t, err)
		assert.Equal(t, first, tok)
		settle(t, func() bool { return c.Stats().Failures == 1 }, "background refresh failed")

		for range 5 {
			tok, err = c.Get(bg, "k", m.fetch)
			require.NoError(t, err)
			assert.Equal(t, first, tok, "the usable token is served during backoff")
		}
		assert.EqualValues(t, 2, m.calls.Load())

		// Once it is no longer usable, the error comes back.
		clk.Add(4*time.Minute - 5*time.Second)
		_, err = c.Get(bg, "k", m.fetch)
		require.Error(t, err)
	})
}

func TestInvalidTokensAreRefused(t *testing.T) {
	for name, tok := range map[string]func(now time.Time) Token{
		"empty value":    func(now time.Time) Token { return Token{Value: "", ExpiresAt: now.Add(time.Hour)} },
		"expired":        func(now time.Time) Token { return Token{Value: "v", ExpiresAt: now.Add(-time.Second)} },
		"expires now":    func(now time.Time) Token { return Token{Value: "v", ExpiresAt: now} },
		"zero ExpiresAt": func(time.Time) Token { return Token{Value: "v"} },
		"beyond ceiling": func(now time.Time) Token { return Token{Value: "v", ExpiresAt: now.Add(MaxLifetime + time.Second)} },
		"too large": func(now time.Time) Token {
			return Token{Value: "v", ExpiresAt: now.Add(time.Hour), Extra: map[string]string{"x": strings.Repeat("a", MaxTokenSize)}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, clk := newTestCache(t)
				calls := 0
				fetch := func(context.Context) (Token, error) { calls++; return tok(clk.Now()), nil }
				_, err := c.Get(bg, "k", fetch)
				require.ErrorIs(t, err, ErrInvalidToken)
				assert.NotContains(t, err.Error(), "v\"")
				clk.Add(time.Minute) // past the backoff
				_, err = c.Get(bg, "k", fetch)
				require.ErrorIs(t, err, ErrInvalidToken)
				assert.Equal(t, 2, calls, "never cached")
			})
		})
	}
}

func TestFetchPanicBecomesError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestCache(t)
		_, err := c.Get(bg, "k", func(context.Context) (Token, error) { panic("boom") })
		require.ErrorContains(t, err, "fetch panicked: boom")
	})
}

func TestNilFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestCache(t)
		_, err := c.Get(bg, "k", nil)
		require.Error(t, err)
	})
}

func TestInvalidateComparesValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour}
		tok1, _ := c.Get(bg, "k", m.fetch)

		c.Invalidate("k", Token{Value: "someone-else"})
		got, _ := c.Get(bg, "k", m.fetch)
		assert.Equal(t, tok1, got, "invalidating another value is a no-op")

		c.Invalidate("k", tok1)
		tok2, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-2", tok2.Value)

		c.Invalidate("k", tok1) // late 401 for the old token
		got, _ = c.Get(bg, "k", m.fetch)
		assert.Equal(t, tok2, got)
		c.Invalidate("missing", tok1) // unknown key: no-op
		assert.EqualValues(t, 2, m.calls.Load())
	})
}

func TestConcurrent401sCauseOneRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour, delay: 5 * time.Millisecond}
		rejected, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)

		var wg sync.WaitGroup
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.Invalidate("k", rejected)
				tok, err := c.Get(bg, "k", m.fetch)
				assert.NoError(t, err)
				assert.Equal(t, "tok-2", tok.Value)
			}()
		}
		wg.Wait()
		assert.EqualValues(t, 2, m.calls.Load())
	})
}

func TestEvictsExpiredFirstThenLRU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithMaxEntries(3))
		long := &minter{now: clk.Now, life: time.Hour}
		short := &minter{now: clk.Now, life: time.Minute}

		_, _ = c.Get(bg, "a", long.fetch)
		clk.Add(time.Second)
		_, _ = c.Get(bg, "b", short.fetch)
		clk.Add(time.Second)
		_, _ = c.Get(bg, "c", long.fetch)
		clk.Add(2 * time.Minute)          // b has expired
		_, _ = c.Get(bg, "a", long.fetch) // a is now the most recently used

		_, _ = c.Get(bg, "d", long.fetch)
		s := c.Stats()
		assert.Equal(t, 3, s.Entries)
		assert.EqualValues(t, 1, s.Evictions)
		calls := long.calls.Load()
		_, _ = c.Get(bg, "a", long.fetch)
		_, _ = c.Get(bg, "c", long.fetch)
		assert.Equal(t, calls, long.calls.Load(), "a and c kept; b (expired) went")

		clk.Add(time.Second)
		_, _ = c.Get(bg, "c", long.fetch)
		clk.Add(time.Second)
		_, _ = c.Get(bg, "d", long.fetch)
		clk.Add(time.Second)
		_, _ = c.Get(bg, "e", long.fetch) // a is least recently used now
		assert.EqualValues(t, 2, c.Stats().Evictions)
		calls = long.calls.Load()
		_, _ = c.Get(bg, "a", long.fetch)
		assert.Equal(t, calls+1, long.calls.Load(), "a was evicted")
	})
}

func TestSourceSharesEntryWithGet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour}
		s := c.Source("k", m.fetch)
		assert.Equal(t, "k", s.Key())

		a, err := s.Token(bg)
		require.NoError(t, err)
		b, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, a, b)

		s.Invalidate(a)
		c2, err := s.Token(bg)
		require.NoError(t, err)
		assert.Equal(t, "tok-2", c2.Value)

		clk.Add(56 * time.Minute)
		stale, err := s.Token(bg)
		require.NoError(t, err)
		assert.Equal(t, c2, stale)
		settle(t, func() bool { return m.calls.Load() == 3 }, "background refresh via Source")
	})
}

func TestSourceSurvivesEviction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithMaxEntries(1))
		m := &minter{now: clk.Now, life: time.Hour}
		s := c.Source("k", m.fetch)
		_, err := s.Token(bg)
		require.NoError(t, err)
		_, err = c.Get(bg, "other", m.fetch) // evicts k
		require.NoError(t, err)
		tok, err := s.Token(bg)
		require.NoError(t, err)
		assert.Equal(t, "tok-3", tok.Value)
		assert.Equal(t, 1, c.Stats().Entries)
	})
}

func TestOptionsIgnoreNonsense(t *testing.T) {
	c := New(WithEarlyExpiry(-1), WithFetchTimeout(0), WithBackoff(-1, -1), WithMaxEntries(0), WithLockWait(0), nil)
	defer c.Close()
	assert.Equal(t, defaults().early, c.cfg.early)
	assert.Equal(t, DefaultFetchTimeout, c.cfg.fetchTimeout)
	assert.Equal(t, DefaultMinBackoff, c.cfg.minBackoff)
	assert.Equal(t, DefaultMaxEntries, c.cfg.maxEntries)
	assert.Equal(t, DefaultLockWait, c.cfg.lockWait)

	c2 := New(WithBackoff(10*time.Second, time.Second))
	defer c2.Close()
	assert.Equal(t, 10*time.Second, c2.cfg.maxBackoff)

	c3 := New(WithBackoff(0, 0))
	defer c3.Close()
	assert.Equal(t, DefaultMinBackoff, c3.cfg.minBackoff)
	assert.Equal(t, DefaultMaxBackoff, c3.cfg.maxBackoff)
}

func TestEarlyExpiryZeroRefreshesAtTheSafetyMargin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithEarlyExpiry(0))
		m := &minter{now: clk.Now, life: time.Hour}
		first, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		clk.Add(time.Hour - safetyMargin - time.Nanosecond)
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, first.Value, tok.Value)
		assert.EqualValues(t, 1, c.Stats().Hits, "fresh until its ExpiresAt less the safety margin")
		assert.EqualValues(t, 1, m.calls.Load())
		clk.Add(time.Nanosecond) // 10 s before ExpiresAt: refreshed, never served fresh
		_, err = c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		settle(t, func() bool { return m.calls.Load() == 2 }, "refreshed at the safety margin")
		clk.Add(9 * time.Second) // 1 s before the first token's ExpiresAt
		tok, err = c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.NotEqual(t, first.Value, tok.Value, "the old token is not served in its last seconds")
	})
}

func TestStaleFromTheRefreshInstant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour, gate: make(chan struct{})}
		close(m.gate)
		_, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		clk.Add(55*time.Minute - time.Nanosecond)
		_, _ = c.Get(bg, "k", m.fetch)
		assert.EqualValues(t, 1, c.Stats().Hits)
		clk.Add(time.Nanosecond)
		_, _ = c.Get(bg, "k", m.fetch)
		assert.EqualValues(t, 1, c.Stats().Hits, "stale at exactly ExpiresAt-m")
		assert.EqualValues(t, 1, c.Stats().StaleHits)
	})
}

func TestSlowPathUseCountsForLRU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A Source's first read resolves its entry on the slow path; that read
		// is a use too, so the entry outlives one used longer ago.
		c, clk := newTestCache(t, WithMaxEntries(2))
		m := &minter{now: clk.Now, life: time.Hour}
		_, err := c.Get(bg, "a", m.fetch)
		require.NoError(t, err)
		clk.Add(time.Second)
		_, err = c.Get(bg, "b", m.fetch)
		require.NoError(t, err)
		clk.Add(time.Second)
		_, err = c.Source("a", m.fetch).Token(bg)
		require.NoError(t, err)
		clk.Add(time.Second)
		_, err = c.Get(bg, "c", m.fetch)
		require.NoError(t, err)
		_, ok := c.entries.Load("a")
		assert.True(t, ok, "a was used last")
		_, ok = c.entries.Load("b")
		assert.False(t, ok, "b was the least recently used")
	})
}

func TestEvictionSamplesInsteadOfScanning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// One expired entry among 1,000 fresh ones: an eviction looks at 5
		// random entries, not at all of them, so it almost surely misses it (a
		// fixed seed makes "almost" repeatable). A cache of 5 is judged whole.
		c, clk := newTestCache(t, WithMaxEntries(1000), withSeed(11))
		long := &minter{now: clk.Now, life: time.Hour}
		short := &minter{now: clk.Now, life: time.Minute}
		_, err := c.Get(bg, "expired", short.fetch)
		require.NoError(t, err)
		for i := range 999 {
			_, err := c.Get(bg, fmt.Sprintf("k%d", i), long.fetch)
			require.NoError(t, err)
		}
		clk.Add(2 * time.Minute)
		_, err = c.Get(bg, "new", long.fetch)
		require.NoError(t, err)
		_, ok := c.entries.Load("expired")
		assert.True(t, ok, "not found by 5 samples")
		assert.EqualValues(t, 1, c.Stats().Evictions)

		small, clk2 := newTestCache(t, WithMaxEntries(evictSamples), withSeed(11))
		long2 := &minter{now: clk2.Now, life: time.Hour}
		short2 := &minter{now: clk2.Now, life: time.Minute}
		for round := range 20 {
			key := fmt.Sprintf("expired%d", round)
			_, err := small.Get(bg, key, short2.fetch)
			require.NoError(t, err)
			for i := range evictSamples - 1 {
				_, err := small.Get(bg, fmt.Sprintf("r%d-%d", round, i), long2.fetch)
				require.NoError(t, err)
			}
			clk2.Add(2 * time.Minute)
			_, err = small.Get(bg, fmt.Sprintf("new%d", round), long2.fetch)
			require.NoError(t, err)
			_, ok := small.entries.Load(key)
			require.False(t, ok, "round %d: the expired entry went first", round)
		}
	})
}

func TestNowUsesClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		assert.Equal(t, clk.Now(), c.Now())
		c2 := New()
		defer c2.Close()
		assert.WithinDuration(t, time.Now(), c2.Now(), time.Second)
	})
}

type skipErr struct{}

func (skipErr) Error() string     { return "tenant not found" }
func (skipErr) SkipBackoff() bool { return true }

func TestBackoffSkipperLeavesKeyFree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour, err: fmt.Errorf("wrapped: %w", skipErr{})}
		_, err := c.Get(bg, "k", m.fetch)
		require.ErrorIs(t, err, skipErr{})
		_, err = c.Get(bg, "k", m.fetch)
		require.ErrorIs(t, err, skipErr{})
		require.NotErrorIs(t, err, ErrBackoff)
		assert.EqualValues(t, 2, m.calls.Load(), "no backoff: fetched again at once")

		m.err = nil
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-3", tok.Value)
		assert.EqualValues(t, 2, c.Stats().Failures)
	})
}

func TestGetFreshWaitsInsteadOfServingStale(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: 10 * time.Minute}
		first, err := c.GetFresh(bg, "k", m.fetch)
		require.NoError(t, err)
		again, err := c.GetFresh(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, first, again, "fresh: reused")

		clk.Add(6 * time.Minute) // 4 min left: stale
		tok, err := c.GetFresh(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-2", tok.Value, "waited for the refresh")
		assert.Equal(t, clk.Now().Add(10*time.Minute), tok.ExpiresAt)

		// With the provider failing, a still-usable stale token beats an
		// error: for the caller whose refresh failed, and while backing off.
		clk.Add(6 * time.Minute)
		m.err = errUpstream
		for range 3 {
			tok, err = c.GetFresh(bg, "k", m.fetch)
			require.NoError(t, err)
			assert.Equal(t, "tok-2", tok.Value)
		}
		assert.EqualValues(t, 3, m.calls.Load(), "one failed refresh, then the backoff")
		assert.EqualValues(t, 1, c.Stats().Failures)
	})
}

func TestEvictionSparesInFlightFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newRealCache(t, WithMaxEntries(1))
		gate := make(chan struct{})
		slow := &minter{now: time.Now, life: time.Hour, gate: gate}
		fast := &minter{now: time.Now, life: time.Hour}

		done := make(chan Token)
		go func() {
			tok, _ := c.Get(bg, "slow", slow.fetch)
			done <- tok
		}()
		synctest.Wait() // slow's fetch is in flight
		_, err := c.Get(bg, "fast", fast.fetch)
		require.NoError(t, err)
		assert.EqualValues(t, 0, c.Stats().Evictions, "the entry with a fetch in flight is spared")
		assert.Equal(t, 2, c.Stats().Entries, "over the bound while it is pinned")
		close(gate)
		assert.Equal(t, "tok-1", (<-done).Value)

		tok, err := c.Get(bg, "slow", slow.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-1", tok.Value, "slow's token was cached, not lost with its entry")
		assert.EqualValues(t, 1, slow.calls.Load())

		_, err = c.Get(bg, "third", fast.fetch) // nothing pinned: back to the bound
		require.NoError(t, err)
		assert.Equal(t, 1, c.Stats().Entries)
		assert.EqualValues(t, 2, c.Stats().Evictions)
	})
}

func TestFlightAfterInstallServesWithoutFetching(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A caller that found no token can reach the flight after the previous
		// one has installed a token and left: the re-check inside the flight
		// serves that token, so a herd never fetches twice.
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour}
		first, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		got, err := flyOnce(c, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, first, got)
		assert.EqualValues(t, 1, m.calls.Load())
		assert.EqualValues(t, 1, c.Stats().Fetches)

		// Likewise a backoff left by a failed flight.
		m.err = errUpstream
		clk.Add(time.Hour)
		_, err = c.Get(bg, "k", m.fetch)
		require.ErrorIs(t, err, errUpstream)
		_, err = flyOnce(c, "k", m.fetch)
		require.ErrorIs(t, err, ErrBackoff)
		assert.EqualValues(t, 2, m.calls.Load())
	})
}

func TestEvictionAtCapacityKeepsTheBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithMaxEntries(100), withSeed(7))
		m := &minter{now: clk.Now, life: time.Hour}
		for i := range 1000 {
			_, err := c.Get(bg, fmt.Sprintf("k%d", i), m.fetch)
			require.NoError(t, err)
			clk.Add(time.Millisecond)
		}
		s := c.Stats()
		assert.Equal(t, 100, s.Entries)
		assert.EqualValues(t, 900, s.Evictions)
		n := 0
		c.entries.Range(func(k string, it *item) bool {
			e := it.e
			assert.Same(t, e, c.all[e.idx], "index of %v", k)
			n++
			return true
		})
		assert.Equal(t, 100, n)
		// Sampled LRU: the most recent keys survive, the oldest went.
		_, ok := c.entries.Load("k999")
		assert.True(t, ok)
		_, ok = c.entries.Load("k0")
		assert.False(t, ok)
	})
}

func TestEvictionPrefersExpiredAmongSamples(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Half the entries hold expired tokens, half fresh ones: with 5 samples
		// an eviction rarely picks a fresh one.
		c, clk := newTestCache(t, WithMaxEntries(200), withSeed(3))
		long := &minter{now: clk.Now, life: time.Hour}
		short := &minter{now: clk.Now, life: time.Minute}
		for i := range 200 {
			m := long
			if i%2 == 0 {
				m = short
			}
			_, err := c.Get(bg, fmt.Sprintf("k%d", i), m.fetch)
			require.NoError(t, err)
		}
		clk.Add(2 * time.Minute)
		for i := range 50 {
			_, err := c.Get(bg, fmt.Sprintf("new%d", i), long.fetch)
			require.NoError(t, err)
		}
		fresh := 0
		for i := 1; i < 200; i += 2 {
			if _, ok := c.entries.Load(fmt.Sprintf("k%d", i)); ok {
				fresh++
			}
		}
		// Blind sampling would have taken about 25 fresh ones (75 left);
		// sampling that prefers expired ones takes about 5 (95 left, 89 at
		// the least over seeds 1 to 60).
		assert.GreaterOrEqual(t, fresh, 85, "expired entries go first")
	})
}

func TestRefreshJitterIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newFakeClock()
		tok := Token{Value: "v", ExpiresAt: clk.Now().Add(time.Hour)}
		// No jitter: exact.
		c0 := New(WithRefreshJitter(0))
		defer c0.Close()
		assert.Equal(t, tok.ExpiresAt.Add(-5*time.Minute), c0.refreshAt(tok, clk.Now()))

		a := New(WithRefreshJitter(0.2))
		defer a.Close()
		distinct := map[time.Time]bool{}
		for range 50 {
			ra := a.refreshAt(tok, clk.Now())
			assert.False(t, ra.After(tok.ExpiresAt.Add(-5*time.Minute)), "never later than the margin")
			assert.False(t, ra.Before(tok.ExpiresAt.Add(-6*time.Minute)), "at most 20%% of it earlier")
			distinct[ra] = true
		}
		assert.Greater(t, len(distinct), 40)

		// Clamped to half the margin; a short-lived token keeps a fresh first
		// quarter and its safety margin.
		big := New(WithRefreshJitter(7))
		defer big.Close()
		short := Token{Value: "v", ExpiresAt: clk.Now().Add(4 * time.Minute)}
		for range 50 {
			r := big.refreshAt(short, clk.Now())
			assert.False(t, r.Before(clk.Now().Add(time.Minute)), "m = 2 min, jitter ≤ 1 min")
			assert.False(t, r.After(clk.Now().Add(2*time.Minute)))
			it := newItem(nil, short, r, 0)
			assert.Less(t, it.staleAt, it.expireAt)
			assert.Equal(t, short.ExpiresAt.Add(-safetyMargin).UnixNano(), it.expireAt)
		}
		tiny := Token{Value: "v", ExpiresAt: clk.Now().Add(4 * time.Second)}
		it := newItem(nil, tiny, clk.Now().Add(2*time.Second), 0)
		assert.Equal(t, tiny.ExpiresAt.Add(-time.Second).UnixNano(), it.expireAt, "safety margin: half the 2 s window")
		neg := New(WithRefreshJitter(-1))
		defer neg.Close()
		assert.Zero(t, neg.cfg.jitter)
		real := New()
		defer real.Close()
		assert.Equal(t, DefaultRefreshJitter, real.cfg.jitter)
	})
}

func TestNanosSaturates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		assert.Equal(t, int64(math.MaxInt64), nanos(time.Date(33715, 1, 1, 0, 0, 0, 0, time.UTC)))
		assert.Equal(t, int64(math.MinInt64), nanos(time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)))
		d := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
		assert.Equal(t, d.UnixNano(), nanos(d))
		assert.Equal(t, time.Date(2261, 12, 31, 0, 0, 0, 0, time.UTC).UnixNano(), nanos(time.Date(2261, 12, 31, 0, 0, 0, 0, time.UTC)))
		assert.Equal(t, time.Date(1679, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano(), nanos(time.Date(1679, 1, 1, 0, 0, 0, 0, time.UTC)))
		// The exact ends of the span, and one nanosecond beyond each.
		hi, lo := time.Unix(0, math.MaxInt64), time.Unix(0, math.MinInt64)
		assert.Equal(t, int64(math.MaxInt64), nanos(hi))
		assert.Equal(t, int64(math.MaxInt64), nanos(hi.Add(time.Nanosecond)))
		assert.Equal(t, int64(math.MaxInt64-1), nanos(hi.Add(-time.Nanosecond)))
		assert.Equal(t, int64(math.MinInt64), nanos(lo))
		assert.Equal(t, int64(math.MinInt64), nanos(lo.Add(-time.Nanosecond)), "not wrapped to the far future")
		assert.Equal(t, int64(math.MinInt64+1), nanos(lo.Add(time.Nanosecond)))

		// A token a provider says lives for millennia is refused, not mangled.
		c, clk := newTestCache(t)
		far := Token{Value: "v", ExpiresAt: clk.Now().AddDate(30000, 0, 0)}
		_, err := c.Get(bg, "k", func(context.Context) (Token, error) { return far, nil })
		require.ErrorIs(t, err, ErrInvalidToken)
		// One at the ceiling is cached, its times saturated.
		ok := Token{Value: "v", ExpiresAt: clk.Now().Add(MaxLifetime)}
		it := newItem(nil, ok, ok.ExpiresAt.Add(-time.Hour), 0)
		assert.Less(t, it.staleAt, it.expireAt)
	})
}

// The size and lifetime limits are inclusive: a token exactly at either is
// cached, one byte or one nanosecond beyond is refused.
func TestTokenLimitsAreInclusive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		atSize := Token{Value: "v", ExpiresAt: now.Add(time.Hour), Extra: map[string]string{"x": strings.Repeat("a", MaxTokenSize-2)}}
		require.NoError(t, valid(atSize, now), "a token of exactly MaxTokenSize bytes")
		atSize.Extra["x"] += "a"
		require.ErrorIs(t, valid(atSize, now), ErrInvalidToken, "one byte more")
		atLife := Token{Value: "v", ExpiresAt: now.Add(MaxLifetime)}
		require.NoError(t, valid(atLife, now), "a token living exactly MaxLifetime")
		atLife.ExpiresAt = atLife.ExpiresAt.Add(time.Nanosecond)
		require.ErrorIs(t, valid(atLife, now), ErrInvalidToken, "one nanosecond more")
	})
}
