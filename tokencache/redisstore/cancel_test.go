package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/redistest"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// A caller that gives up never cools the Store down, whichever comes
// first: the caller's cancellation, or Redis's answer to the cancelled
// call (go-redis fails it at once). Repeated, because which of the two
// the Store sees first is up to the scheduler.
func TestCancelledCallsNeverCoolTheStoreDown(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	store := mustStore(t, rdb)
	tok := tokencache.Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}
	require.NoError(t, store.Save(bg, "k", tokencache.Entry{Token: tok, RefreshAt: tok.ExpiresAt.Add(-time.Minute)}))
	cancelled, cancel := context.WithCancel(bg)
	cancel()
	for i := range 3000 {
		_, _, err := store.Load(cancelled, "k")
		require.ErrorIs(t, err, context.Canceled)
		_, ok, err := store.Load(bg, "k")
		require.NoError(t, err, "call %d: no cooldown after the caller's own cancellation", i)
		require.True(t, ok)
	}
}
