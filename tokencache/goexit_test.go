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

// goexitRefresh caches tok-1, lets it turn stale and asks for it with a
// FetchFunc that calls runtime.Goexit (t.FailNow or require inside a
// fetch, say): the stale token is served and the background refresh ends
// in Goexit, which singleflight never answers. It runs in a synctest
// bubble.
func goexitRefresh(t *testing.T) (*Cache, *minter) {
	t.Helper()
	c, clk := newTestCache(t)
	m := &minter{now: clk.Now, life: time.Hour}
	_, err := c.Get(bg, "k", m.fetch)
	require.NoError(t, err)
	clk.Add(56 * time.Minute)
	goexit := func(context.Context) (Token, error) { runtime.Goexit(); return Token{}, nil }
	tok, err := c.Get(bg, "k", goexit)
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok.Value, "the stale token is served")
	synctest.Wait()
	return c, m
}

// Close must not wait forever for a refresh whose fetch called Goexit.
func TestCloseEndsARefreshWhoseFetchCalledGoexit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := goexitRefresh(t)
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
// key refreshes in the background again at its next stale read.
func TestRefreshAfterAGoexitRefreshStillRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, m := goexitRefresh(t)
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
