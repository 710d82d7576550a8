package tokencache

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A FetchFunc that calls runtime.Goexit (t.FailNow or require inside a
// fetch, say) is a failed fetch: it must end no caller's goroutine, leave
// no waiter without an answer and no background refresh that Close would
// wait for forever.
func TestFetchCallingGoexitIsAFailedFetch(t *testing.T) {
	goexit := func(context.Context) (Token, error) { runtime.Goexit(); return Token{}, nil }

	t.Run("callers that wait in Do and in DoChan", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c, _ := newTestCache(t)
			gate := make(chan struct{})
			fetch := func(ctx context.Context) (Token, error) { <-gate; return goexit(ctx) }
			dctx, cancel := context.WithTimeout(bg, time.Hour)
			defer cancel()
			var wg sync.WaitGroup
			returned := make([]bool, 6)
			errs := make([]error, 6)
			for i := range returned {
				ctx := bg // half wait in Do, half in a select over DoChan
				if i%2 == 1 {
					ctx = dctx
				}
				wg.Go(func() {
					_, errs[i] = c.Get(ctx, "k", fetch)
					returned[i] = true
				})
			}
			synctest.Wait()
			close(gate)
			wg.Wait()
			for i := range returned {
				assert.True(t, returned[i], "caller %d's goroutine was ended by the fetch's Goexit", i)
				assert.ErrorContains(t, errs[i], "Goexit", "caller %d", i)
			}
		})
	})

	t.Run("a background refresh", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c, clk := newTestCache(t)
			m := &minter{now: clk.Now, life: time.Hour}
			_, err := c.Get(bg, "k", m.fetch)
			require.NoError(t, err)
			clk.Add(56 * time.Minute)
			tok, err := c.Get(bg, "k", goexit) // stale: served, refresh starts
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
	})
}
