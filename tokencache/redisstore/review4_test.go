package redisstore_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/redistest"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// A value in Redis names its own RefreshAt. One written by a buggy or
// hostile writer with RefreshAt a moment before ExpiresAt must not make a
// replica serve the token as fresh inside the safety margin of its
// expiry, as no token a cache minted ever is.
func TestStoredRefreshAtCannotSkipTheSafetyMargin(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr)
	store := mustStore(t, rdb)

	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	exp := clock().Add(time.Hour)
	planted := tokencache.Token{Value: "planted-token-value", Type: "Bearer", ExpiresAt: exp}
	require.NoError(t, store.Save(bg, "cartevo:k", tokencache.Entry{Token: planted, RefreshAt: exp.Add(-time.Millisecond)}))

	c := newCache(t, tokencache.WithStore(store), tokencache.WithClock(clock))
	m := &counter{now: clock}
	_, err := c.Get(bg, "cartevo:k", m.fetch)
	require.NoError(t, err)

	advance(time.Hour - 5*time.Second) // 5 s left: inside the 10 s safety margin
	tok, err := c.Get(bg, "cartevo:k", m.fetch)
	require.NoError(t, err)
	assert.NotEqual(t, planted.Value, tok.Value, "a token with 5 s left was served as fresh")
	assert.GreaterOrEqual(t, m.n.Load(), int64(1), "mints")
}
