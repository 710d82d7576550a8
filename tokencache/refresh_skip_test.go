package tokencache

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A background refresh that fails with an error that skips backoff (a
// 400 or 404 from the provider) still backs the key off: nobody waits on a
// refresh, the stale token keeps being served, and without a backoff every
// stale read would start another call to a provider that keeps refusing.
func TestAFailedRefreshBacksOffEvenIfItsErrorSkipsBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithBackoff(time.Minute, time.Minute))
		m := &minter{now: clk.Now, life: 10 * time.Minute}
		first, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		m.err = fmt.Errorf("wrapped: %w", skipErr{})
		clk.Add(6 * time.Minute) // stale: 4 minutes left
		for range 20 {
			tok, err := c.Get(bg, "k", m.fetch)
			require.NoError(t, err)
			assert.Equal(t, first.Value, tok.Value, "the stale token is served")
			synctest.Wait() // the refresh, if one started, has ended
		}
		assert.EqualValues(t, 2, m.calls.Load(), "one mint, one refresh, then the backoff")
	})
}

// A lock wait as long as the fetch timeout (or longer) leaves the mint
// time: polling a Store whose refresh lock another process holds for good
// takes at most half the fetch timeout, and the mint runs on what is left.
func TestLockWaitLeavesTheMintTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		st.locks["k"] = -1 // held by a process that never saves
		c := newRealCache(t, WithStore(st), WithFetchTimeout(2*time.Second), WithLockWait(time.Minute))
		start := time.Now()
		tok, err := c.Get(bg, "k", func(ctx context.Context) (Token, error) {
			if err := ctx.Err(); err != nil {
				return Token{}, err
			}
			return Token{Value: "minted", ExpiresAt: time.Now().Add(time.Hour)}, nil
		})
		require.NoError(t, err)
		assert.Equal(t, "minted", tok.Value)
		assert.Equal(t, time.Second, time.Since(start), "polled for half the fetch timeout")
	})
}
