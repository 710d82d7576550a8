package tokencache

import (
	"context"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A background refresh whose FetchFunc calls runtime.Goexit (t.FailNow or
// require inside a fetch, say) never gets singleflight's answer: Close
// must not wait for it forever.
func TestCloseEndsARefreshWhoseFetchCalledGoexit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour}
		_, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		clk.Add(56 * time.Minute)
		goexit := func(context.Context) (Token, error) { runtime.Goexit(); return Token{}, nil }
		tok, err := c.Get(bg, "k", goexit) // stale: served, the refresh starts
		require.NoError(t, err)
		assert.Equal(t, "tok-1", tok.Value)
		synctest.Wait()
		closed := make(chan error, 1)
		go func() { closed <- c.Close() }()
		synctest.Wait()
		select {
		case err := <-closed:
			assert.NoError(t, err)
		default:
			t.Fatal("Close hangs on a refresh whose fetch called Goexit")
		}
	})
}

// The refresh whose fetch called Goexit leaves no refresh pending: the
// next stale period refreshes in the background again.
func TestRefreshAfterAGoexitRefreshStillRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour}
		_, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		clk.Add(56 * time.Minute)
		goexit := func(context.Context) (Token, error) { runtime.Goexit(); return Token{}, nil }
		_, err = c.Get(bg, "k", goexit) // stale: served, the refresh Goexits
		require.NoError(t, err)
		synctest.Wait()
		before := m.calls.Load()
		tok, err := c.Get(bg, "k", m.fetch) // still stale: a new refresh starts
		require.NoError(t, err)
		assert.Equal(t, "tok-1", tok.Value)
		synctest.Wait()
		assert.Equal(t, before+1, m.calls.Load(), "no background refresh after the one that called Goexit")
		tok, err = c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-2", tok.Value, "the refreshed token is served")
	})
}
