package tokencache

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A key that is backing off and that callers keep asking for is in use:
// eviction must judge it by its last read, not by when its entry was
// made, or an idle key outlives it, the backoff is forgotten, and the
// next Get calls a provider that asked to be left alone.
func TestEvictionCountsReadsOfABackingOffKeyAsUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithMaxEntries(2))
		ok := &minter{now: clk.Now, life: time.Hour}
		down := &minter{now: clk.Now, err: hintErr{d: time.Minute}}
		_, err := c.Get(bg, "b", ok.fetch)
		require.NoError(t, err)
		clk.Add(2 * time.Second)
		_, err = c.Get(bg, "a", down.fetch) // a fails: a minute's backoff
		require.Error(t, err)
		clk.Add(2 * time.Second)
		_, err = c.Get(bg, "b", ok.fetch) // b is read
		require.NoError(t, err)
		clk.Add(2 * time.Second)
		_, err = c.Get(bg, "a", down.fetch) // then a, more recently
		require.ErrorIs(t, err, ErrBackoff)
		clk.Add(2 * time.Second)

		_, err = c.Get(bg, "c", ok.fetch) // evicts the least recently used: b
		require.NoError(t, err)
		_, held := entryOf(c, "a")
		assert.True(t, held, "a was read after b")
		_, err = c.Get(bg, "a", down.fetch)
		assert.ErrorIs(t, err, ErrBackoff, "a's backoff still runs")
		assert.EqualValues(t, 1, down.calls.Load(), "no fetch inside the backoff")
	})
}

// slowSaveStore is a memStore whose Save takes d (honouring its context).
type slowSaveStore struct {
	*memStore
	d time.Duration
}

func (s slowSaveStore) Save(ctx context.Context, key string, e Entry) error {
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.memStore.Save(ctx, key, e)
}

// A slow Store must not make Get hand out a token that expired while it
// was being saved: Get never returns a token at or past its ExpiresAt.
func TestSlowStoreSaveNeverHandsOutAnExpiredToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithStore(slowSaveStore{newMemStore(), 3 * time.Second}))
		m := &minter{now: clk.Now, life: 2 * time.Second}
		tok, err := c.Get(bg, "k", m.fetch)
		if err == nil {
			assert.True(t, tok.ExpiresAt.After(time.Now()),
				"served %s at %s, past its expiry", tok.ExpiresAt.Format(time.StampMilli), time.Now().Format(time.StampMilli))
		}
		tok, err = c.Get(bg, "k", m.fetch)
		if err == nil {
			assert.True(t, tok.ExpiresAt.After(time.Now()), "a second Get is served an expired token")
		}
		assert.EqualValues(t, 1, m.calls.Load(), "a token that came too late is a failed fetch, and the key backs off")
	})
}

// A 401 storm is many Invalidates of one token. The first drops it, from
// memory and from the Store; the others, arriving while the re-mint runs,
// find the work done and cost the Store nothing more.
func TestInvalidateStormDeletesFromTheStoreOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		c, clk := newTestCache(t, WithStore(st))
		m := &minter{now: clk.Now, life: time.Hour}
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() { c.Invalidate("k", tok) })
		}
		wg.Wait()
		assert.EqualValues(t, 1, st.deletes.Load(), "one Store delete for one rejected token")
		got, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.NotEqual(t, tok.Value, got.Value)
		assert.EqualValues(t, 2, m.calls.Load())
	})
}

// MaxTokenSize bounds what a token carries: a huge Type, minted or planted
// in a Store, is refused like a huge Value.
func TestHugeTokenTypeIsRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		c, clk := newTestCache(t, WithStore(st))
		huge := strings.Repeat("B", 1<<20)
		planted := Token{Value: "planted", Type: huge, ExpiresAt: clk.Now().Add(time.Hour)}
		st.entries["k"] = Entry{Token: planted, RefreshAt: planted.ExpiresAt.Add(-5 * time.Minute)}
		m := &minter{now: clk.Now, life: time.Hour}
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.NotEqual(t, "planted", tok.Value, "a 1 MiB token from the Store is served")
		assert.EqualValues(t, 1, m.calls.Load())

		_, err = c.Get(bg, "minted", func(context.Context) (Token, error) {
			return Token{Value: "v", Type: huge, ExpiresAt: clk.Now().Add(time.Hour)}, nil
		})
		assert.ErrorIs(t, err, ErrInvalidToken)
	})
}

// A Store entry whose RefreshAt no cache would set (a millisecond before
// ExpiresAt) must not defeat the safety margin: no refresh ahead, and the
// token served as fresh until its last millisecond. A cache refreshes a
// token it minted 10 s before ExpiresAt at the latest and stops serving
// it 5 s before.
func TestStoreRefreshAtCannotDefeatTheSafetyMargin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		c, clk := newTestCache(t, WithStore(st))
		peer := Token{Value: "peer", Type: "Bearer", ExpiresAt: clk.Now().Add(time.Hour)}
		st.entries["k"] = Entry{Token: peer, RefreshAt: peer.ExpiresAt.Add(-time.Millisecond)}
		m := &minter{now: clk.Now, life: 2 * time.Hour}
		_, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)

		clk.Add(time.Hour - 4*time.Second)
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.NotEqual(t, "peer", tok.Value, "served with %s left", time.Until(tok.ExpiresAt))
		assert.EqualValues(t, 1, m.calls.Load(), "one mint in all")
	})
}

// refuseFirst is an observer that invalidates tok-1 as its fetch ends:
// a 401 for a freshly minted token, before the flight's callers have it.
type refuseFirst struct {
	NopObserver
	c    *Cache
	once sync.Once
}

func (r *refuseFirst) FetchEnd(context.Context, FetchInfo, FetchResult) {
	r.once.Do(func() { r.c.Invalidate("k", Token{Value: "tok-1"}) })
}

// A Get whose flight brought a token refused meanwhile goes round once
// more for a new one; it is still one request, counted once in Stats
// (and so in checkoutkit.token.requests).
func TestAGetThatGoesRoundAgainIsCountedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		c.AddObserver(&refuseFirst{c: c})
		m := &minter{now: clk.Now, life: time.Hour}
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, "tok-2", tok.Value, "not the refused token")
		s := c.Stats()
		assert.EqualValues(t, 1, s.Hits+s.StaleHits+s.Misses, "one Get, one request: %+v", s)
	})
}
