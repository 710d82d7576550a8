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
// in Goexit. It runs in a synctest bubble.
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

// A fetch that calls Goexit in the goroutine of the caller that started
// it (a context that can never end) still ends its flight: a caller
// waiting on it with a deadline gets an error at once, not at its
// deadline, and the key fetches again at the next Get.
func TestWaitersOfAFetchThatCalledGoexitGetAnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		release := make(chan struct{})
		goexit := func(context.Context) (Token, error) { <-release; runtime.Goexit(); return Token{}, nil }
		go func() {
			_, _ = c.Get(bg, "k", goexit)
			t.Error("Get returned from a fetch that called Goexit")
		}()
		synctest.Wait()
		ctx, cancel := context.WithTimeout(bg, time.Hour)
		defer cancel()
		m := &minter{now: clk.Now, life: time.Hour}
		errc := make(chan error, 1)
		go func() {
			_, err := c.Get(ctx, "k", m.fetch)
			errc <- err
		}()
		synctest.Wait()
		start := time.Now()
		close(release)
		err := <-errc
		assert.Zero(t, time.Since(start), "the waiter waited for its deadline")
		require.Error(t, err)
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
		assert.Contains(t, err.Error(), "Goexit")
		assert.Zero(t, m.calls.Load(), "the waiter joined the flight, it did not start one")

		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-1", tok.Value)
	})
}
