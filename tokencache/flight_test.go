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

// A nil ctx is refused with an error before the caller touches the key, on
// the cold path and on the stale one (the background refresh), whose flag
// and WaitGroup a panic there would leave set.
func TestANilContextDoesNotWedgeTheKey(t *testing.T) {
	for _, stale := range []bool{false, true} {
		name := map[bool]string{false: "cold", true: "stale"}[stale]
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, clk := newTestCache(t)
				m := &minter{now: clk.Now, life: time.Hour}
				if stale {
					_, err := c.Get(bg, "k", m.fetch)
					require.NoError(t, err)
					clk.Add(56 * time.Minute)
				}
				_, err := c.Get(nil, "k", m.fetch) //nolint:staticcheck // the point
				assert.ErrorContains(t, err, "nil ctx")
				e, ok := entryOf(c, "k")
				require.Equal(t, stale, ok)
				if ok {
					assert.False(t, e.refreshing.Load(), "the refresh flag is left set")
				}
				clk.Add(5 * time.Minute) // expired, if it was stale
				ctx, cancel := context.WithTimeout(bg, time.Minute)
				defer cancel()
				tok, err := c.Get(ctx, "k", m.fetch)
				require.NoError(t, err, "the key is wedged")
				assert.NotEmpty(t, tok.Value)
			})
		})
	}
}

// evictGoexit calls runtime.Goexit when told of an eviction, as an
// observer in a test using require or t.FailNow would.
type evictGoexit struct{ NopObserver }

func (evictGoexit) Event(ev Event) {
	if ev.Kind == EventEviction {
		runtime.Goexit()
	}
}

// An observer that calls Goexit on an eviction ends the caller whose
// insert evicted, but leaves the key's entry unpinned (evictable), and the
// key fetches at the next Get.
func TestAnEvictionObserverCallingGoexitDoesNotWedgeTheKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithMaxEntries(1), WithObserver(evictGoexit{}))
		m := &minter{now: clk.Now, life: time.Hour}
		_, err := c.Get(bg, "a", m.fetch)
		require.NoError(t, err)
		exited := make(chan struct{})
		go func() {
			defer close(exited)
			_, _ = c.Get(bg, "b", m.fetch)
		}()
		<-exited
		ctx, cancel := context.WithTimeout(bg, time.Minute)
		defer cancel()
		_, err = c.Get(ctx, "b", m.fetch)
		require.NoError(t, err, "the key is wedged")
		e, _ := entryOf(c, "b")
		assert.Zero(t, e.flying.Load(), "the entry stays pinned")
	})
}

// holdEnd holds every FetchEnd until hold is closed.
type holdEnd struct {
	NopObserver
	hold chan struct{}
}

func (h holdEnd) FetchEnd(context.Context, FetchInfo, FetchResult) { <-h.hold }

// A caller still waiting when Close is called gets ErrClosed even when the
// flight, past its own check, lands with a token: here the flight is in
// its observer's FetchEnd, after the install, as Close begins.
func TestCallersWaitingWhenCloseIsCalledGetErrClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		obs := holdEnd{hold: make(chan struct{})}
		c := New(WithObserver(obs))
		gate := make(chan struct{})
		fetch := func(context.Context) (Token, error) {
			<-gate
			return Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}, nil
		}
		errs := make(chan error, 2)
		get := func() {
			_, err := c.Get(bg, "k", fetch)
			errs <- err
		}
		go get() // the leader: its flight runs in its goroutine (singleflight's Do)
		synctest.Wait()
		go get() // a waiter, joining the flight
		synctest.Wait()
		close(gate) // the flight installs the token and stops in FetchEnd
		synctest.Wait()
		closed := make(chan struct{})
		go func() {
			_ = c.Close()
			close(closed)
		}()
		synctest.Wait() // Close waits for the flight
		close(obs.hold)
		<-closed
		for range 2 {
			assert.ErrorIs(t, <-errs, ErrClosed)
		}
	})
}
