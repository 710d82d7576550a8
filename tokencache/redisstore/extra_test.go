package redisstore_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/redistest"
	"github.com/checkoutkit/checkoutkit/tokencache"
	"github.com/checkoutkit/checkoutkit/tokencache/redisstore"
)

// What travels with a token (a page URL, a customer id) is stored with it,
// sealed like the rest when encryption is on.
func TestExtraTravelsWithTheToken(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr)
	exp := time.Now().Add(time.Hour).Truncate(time.Nanosecond)
	e := tokencache.Entry{
		Token: tokencache.Token{Value: "tok-secretvalue", ExpiresAt: exp,
			Extra: map[string]string{"page_url": "https://pay.example/p?token=tok-secretvalue", "customer_id": "12345"}},
		RefreshAt: exp.Add(-5 * time.Minute),
	}
	for name, opts := range map[string][]redisstore.Option{
		"plain":     {redisstore.WithPrefix("plain:")},
		"encrypted": {redisstore.WithPrefix("sealed:"), redisstore.WithEncryptionKey([]byte("0123456789abcdef-key"))},
	} {
		st := mustStore(t, rdb, opts...)
		require.NoError(t, st.Save(bg, "crovver:k", e), name)
		got, ok, err := st.Load(bg, "crovver:k")
		require.NoError(t, err, name)
		require.True(t, ok, name)
		assert.Equal(t, e.Token.Extra, got.Token.Extra, name)
		assert.True(t, got.Token.ExpiresAt.Equal(exp), name)
	}
	keys, err := rdb.Keys(bg, "sealed:*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	raw, err := rdb.Get(bg, keys[0]).Bytes()
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "pay.example", "sealed with the token")

	// A value without Extra (as the previous version stored them) loads.
	st := mustStore(t, rdb, redisstore.WithPrefix("old:"))
	require.NoError(t, st.Save(bg, "k", tokencache.Entry{Token: tokencache.Token{Value: "v1-secretvalue", ExpiresAt: exp}, RefreshAt: exp}))
	got, ok, err := st.Load(bg, "k")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Nil(t, got.Token.Extra)
}

// Replicas configured with different encryption keys never share, and say
// so (at most every 30 s) instead of failing silently.
func TestWrongEncryptionKeyIsLoggedOnce(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr)
	var logs bytes.Buffer
	writer := mustStore(t, rdb, redisstore.WithEncryptionKey([]byte("replica-a-key-0123456")))
	reader := mustStore(t, rdb, redisstore.WithEncryptionKey([]byte("replica-b-key-6543210")),
		redisstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	exp := time.Now().Add(time.Hour)
	require.NoError(t, writer.Save(bg, "k", tokencache.Entry{Token: tokencache.Token{Value: "tok-secretvalue", ExpiresAt: exp}, RefreshAt: exp}))
	for range 3 {
		_, ok, err := reader.Load(bg, "k")
		require.NoError(t, err, "a value that does not open is a miss, not an error")
		assert.False(t, ok)
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "does not open with this replica's encryption key"), logs.String())
	assert.NotContains(t, logs.String(), "replica-b-key")
	assert.NotContains(t, logs.String(), "secretvalue")
}
