package tokencache

// Invalidate racing a flight: found by an independent review of the core.

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type endHook struct {
	NopObserver
	f func()
}

func (h endHook) FetchEnd(context.Context, FetchInfo, FetchResult) { h.f() }

// A Get that starts after Invalidate(T) returned is not handed T by the
// flight that installed T and has not yet left singleflight.
func TestGetAfterInvalidateIsNotHandedTheDroppedToken(t *testing.T) {
	var c *Cache
	var n atomic.Int64
	fetch := func(ctx context.Context) (Token, error) {
		return Token{Value: "t" + itoa(n.Add(1)), ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	got := make(chan Token, 1)
	var once sync.Once
	hook := endHook{f: func() {
		once.Do(func() {
			// The flight has installed t1 and not yet returned.
			t1, err := c.Get(context.Background(), "k", fetch) // a hit
			if err != nil {
				t.Error(err)
				return
			}
			c.Invalidate("k", t1) // the provider answered 401
			misses := c.Stats().Misses
			go func() { // a Get that starts after Invalidate returned
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				tok, _ := c.Get(ctx, "k", fetch)
				got <- tok
			}()
			for c.Stats().Misses == misses {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(10 * time.Millisecond) // it has joined this flight
		})
	}}
	c = New(WithObserver(hook))
	defer c.Close()
	first, err := c.Get(context.Background(), "k", fetch)
	require.NoError(t, err)
	tok := <-got
	assert.NotEqual(t, "t1", tok.Value, "the dropped token was handed to a Get that started after Invalidate")
	assert.NotEqual(t, "t1", first.Value, "the flight's own caller, back after the 401, gets the new token too")
	assert.EqualValues(t, 2, n.Load(), "one mint after the 401")
}

// A token Invalidate drops while a flight is loading it from the Store is
// not installed: the next Get mints.
func TestInvalidateDuringAStoreLoadKeepsTheTokenOut(t *testing.T) {
	st := newMemStore()
	rejected := Token{Value: "rejected", ExpiresAt: time.Now().Add(time.Hour)}
	st.entries["k"] = Entry{Token: rejected, RefreshAt: rejected.ExpiresAt.Add(-10 * time.Minute)}
	var c *Cache
	var armed, fired atomic.Bool
	clock := func() time.Time {
		if armed.Load() && fired.CompareAndSwap(false, true) {
			c.Invalidate("k", rejected) // a 401 for it, between the Store's load and the install
		}
		return time.Now()
	}
	c = New(WithStore(st), WithClock(clock))
	defer c.Close()
	f := Fetcher{
		Fetch: func(ctx context.Context) (Token, error) {
			return Token{Value: "new", ExpiresAt: time.Now().Add(time.Hour)}, nil
		},
		Check: func(Token) error { armed.Store(true); return nil },
	}
	tok, err := c.GetWith(context.Background(), "k", f)
	require.NoError(t, err)
	require.True(t, fired.Load(), "Invalidate ran inside the load")
	assert.Equal(t, "new", tok.Value, "the caller gets a token nobody has refused")
	tok, err = c.GetWith(context.Background(), "k", f)
	require.NoError(t, err)
	assert.Equal(t, "new", tok.Value)
}

// A provider that mints the same value again after a 401 (some re-issue a
// token until it expires) costs one mint, not one per Get.
func TestReissuedTokenIsInstalledAgain(t *testing.T) {
	c := New()
	defer c.Close()
	var mints atomic.Int64
	same := func(context.Context) (Token, error) {
		mints.Add(1)
		return Token{Value: "same", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	tok, err := c.Get(context.Background(), "k", same)
	require.NoError(t, err)
	c.Invalidate("k", tok)
	for range 5 {
		tok, err = c.Get(context.Background(), "k", same)
		require.NoError(t, err)
		assert.Equal(t, "same", tok.Value)
	}
	assert.EqualValues(t, 2, mints.Load(), "one mint after the 401, then hits")
}
