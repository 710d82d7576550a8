package tokencache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memStore is an in-process Store, the shape a Redis one takes.
type memStore struct {
	mu       sync.Mutex
	entries  map[string]Entry
	locks    map[string]int64
	owner    atomic.Int64
	fail     atomic.Bool // every call errors
	failLoad atomic.Bool // Load errors
	loads    atomic.Int64
	deletes  atomic.Int64
	// how long the last Delete's context had left
	deleteWithin atomic.Int64
}

func newMemStore() *memStore {
	return &memStore{entries: map[string]Entry{}, locks: map[string]int64{}}
}

var errStore = errors.New("store down")

func (s *memStore) Load(_ context.Context, key string) (Entry, bool, error) {
	s.loads.Add(1)
	if s.fail.Load() || s.failLoad.Load() {
		return Entry{}, false, errStore
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	return e, ok, nil
}

func (s *memStore) Save(_ context.Context, key string, e Entry) error {
	if s.fail.Load() {
		return errStore
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries[key] = e
	return nil
}

func (s *memStore) Delete(ctx context.Context, key string, tok Token) error {
	s.deletes.Add(1)
	if d, ok := ctx.Deadline(); ok {
		s.deleteWithin.Store(int64(time.Until(d)))
	}
	if s.fail.Load() {
		return errStore
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries[key].Token.Value == tok.Value {
		delete(s.entries, key)
	}
	return nil
}

func (s *memStore) TryLock(_ context.Context, key string, _ time.Duration) (func(context.Context) error, bool, error) {
	if s.fail.Load() {
		return nil, false, errStore
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, held := s.locks[key]; held {
		return nil, false, nil
	}
	me := s.owner.Add(1)
	s.locks[key] = me
	return func(context.Context) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.locks[key] == me {
			delete(s.locks, key)
		}
		return nil
	}, true, nil
}

func TestStoreSharesOneMintBetweenCaches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		clk := newFakeClock()
		m := &minter{now: clk.Now, life: time.Hour}
		a := New(WithClock(clk.Now), WithRefreshJitter(0), WithStore(st))
		b := New(WithClock(clk.Now), WithRefreshJitter(0), WithStore(st))
		defer a.Close()
		defer b.Close()

		ta, err := a.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		tb, err := b.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, ta, tb)
		assert.EqualValues(t, 1, m.calls.Load())
		assert.EqualValues(t, 1, b.Stats().StoreHits)

		// Both agree on when it turns stale: b refreshes at a's RefreshAt, and
		// the refresh it mints is shared back.
		clk.Add(56 * time.Minute)
		_, _ = b.Get(bg, "k", m.fetch)
		settle(t, func() bool { return m.calls.Load() == 2 }, "b refreshed")
		settle(t, func() bool { tok, _ := b.Get(bg, "k", m.fetch); return tok.Value == "tok-2" }, "b installed")
		_, _ = a.Get(bg, "k", m.fetch) // a is stale too: its refresh finds b's token
		settle(t, func() bool { tok, _ := a.Get(bg, "k", m.fetch); return tok.Value == "tok-2" }, "a took b's token")
		assert.EqualValues(t, 2, m.calls.Load())
	})
}

func TestStoreFailureNeverFailsGet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		st.fail.Store(true)
		clk := newFakeClock()
		m := &minter{now: clk.Now, life: time.Hour}
		c := New(WithClock(clk.Now), WithRefreshJitter(0), WithStore(st))
		defer c.Close()
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-1", tok.Value)
		c.Invalidate("k", tok)
		tok, err = c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-2", tok.Value)
	})
}

func TestStoreIgnoresStaleAndRejectedEntries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		clk := newFakeClock()
		m := &minter{now: clk.Now, life: time.Hour}
		c := New(WithClock(clk.Now), WithRefreshJitter(0), WithStore(st))
		defer c.Close()

		old := Token{Value: "stale-in-store", ExpiresAt: clk.Now().Add(2 * time.Minute)}
		require.NoError(t, st.Save(bg, "k", Entry{Token: old, RefreshAt: clk.Now().Add(-time.Minute)}))
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-1", tok.Value, "a stale shared entry is not adopted")

		// A 401 on tok-1: the store copy goes (compare-and-delete) and, should
		// a peer re-save it, it is not reloaded.
		c.Invalidate("k", tok)
		_, found, _ := st.Load(bg, "k")
		assert.False(t, found)
		require.NoError(t, st.Save(bg, "k", Entry{Token: tok, RefreshAt: tok.ExpiresAt.Add(-5 * time.Minute)}))
		tok2, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-2", tok2.Value)

	})
}

func TestInvalidateLeavesAPeersNewerTokenInTheStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		clk := newFakeClock()
		m := &minter{now: clk.Now, life: time.Hour}
		c := New(WithClock(clk.Now), WithRefreshJitter(0), WithStore(st))
		defer c.Close()
		rejected, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)

		// A peer has meanwhile replaced the token in the Store; then the
		// provider rejects ours. Invalidate deletes only if the Store still
		// holds the rejected value.
		newer := Token{Value: "peer-newer", ExpiresAt: clk.Now().Add(time.Hour)}
		require.NoError(t, st.Save(bg, "k", Entry{Token: newer, RefreshAt: newer.ExpiresAt.Add(-5 * time.Minute)}))
		c.Invalidate("k", rejected)
		e, found, _ := st.Load(bg, "k")
		require.True(t, found, "the peer's newer token survives")
		assert.Equal(t, "peer-newer", e.Token.Value)
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "peer-newer", tok.Value, "and is adopted instead of minting")
		assert.EqualValues(t, 1, m.calls.Load())

		// Once the Store holds the rejected value, it goes.
		c.Invalidate("k", tok)
		_, found, _ = st.Load(bg, "k")
		assert.False(t, found)
	})
}

func TestStoreNotReadOnHits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		clk := newFakeClock()
		c := New(WithClock(clk.Now), WithRefreshJitter(0), WithStore(st))
		defer c.Close()
		m := &minter{now: clk.Now, life: time.Hour}
		_, _ = c.Get(bg, "k", m.fetch)
		loads := st.loads.Load()
		for range 100 {
			_, _ = c.Get(bg, "k", m.fetch)
		}
		assert.Equal(t, loads, st.loads.Load())
	})
}

func TestInvalidateOfAnOldTokenLeavesTheStoreAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		clk := newFakeClock()
		m := &minter{now: clk.Now, life: time.Hour}
		c := New(WithClock(clk.Now), WithRefreshJitter(0), WithStore(st))
		defer c.Close()
		old, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		c.Invalidate("k", old)
		require.EqualValues(t, 1, st.deletes.Load(), "the held token is deleted from the Store")
		within := time.Duration(st.deleteWithin.Load())
		assert.True(t, within > time.Second && within <= 2*time.Second, "Delete is bounded by 2 s, got %v", within)
		_, err = c.Get(bg, "k", m.fetch)
		require.NoError(t, err)

		// A late 401 for the old token: the cache holds another one, so
		// Invalidate does nothing, not even a Store round trip.
		c.Invalidate("k", old)
		assert.EqualValues(t, 1, st.deletes.Load())
		// A key this cache does not hold: only the Store can hold the token.
		c.Invalidate("elsewhere", old)
		assert.EqualValues(t, 2, st.deletes.Load())
	})
}

// A Store entry whose RefreshAt would keep its token fresh into the
// safety margin (or past its expiry) is refused, logged, and minted
// around: no cache writes one, and serving it would send requests with a
// token about to expire. One written as a cache writes it is served.
func TestStoreEntryFreshIntoTheSafetyMarginIsRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newFakeClock()
		long, short := clk.Now().Add(time.Hour), clk.Now().Add(8*time.Second)
		for _, tc := range []struct {
			exp, refreshAt time.Time
			served         bool
		}{
			{long, long.Add(-time.Millisecond), false},
			{long, long.Add(time.Minute), false},
			{long, long.Add(-safetyMargin + time.Second), false},
			{long, long.Add(-safetyMargin), true},
			// Less than twice the safety margin left: half of it is the bound.
			{short, short.Add(-3 * time.Second), false},
			{short, short.Add(-4 * time.Second), true},
		} {
			st := newMemStore()
			var logs bytes.Buffer
			m := &minter{now: clk.Now, life: time.Hour}
			c := New(WithClock(clk.Now), WithStore(st), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			require.NoError(t, st.Save(bg, "k", Entry{Token: Token{Value: "planted", ExpiresAt: tc.exp}, RefreshAt: tc.refreshAt}))
			tok, err := c.Get(bg, "k", m.fetch)
			require.NoError(t, err)
			c.Close()
			what := fmt.Sprintf("margin %s of %s", tc.exp.Sub(tc.refreshAt), tc.exp.Sub(clk.Now()))
			if tc.served {
				assert.Equal(t, "planted", tok.Value, what)
				continue
			}
			assert.Equal(t, "tok-1", tok.Value, what)
			assert.Contains(t, logs.String(), "store entry refused", what)
		}
	})
}
