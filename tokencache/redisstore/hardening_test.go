package redisstore_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/redistest"
	"github.com/checkoutkit/checkoutkit/internal/storekit"
	"github.com/checkoutkit/checkoutkit/tokencache"
	"github.com/checkoutkit/checkoutkit/tokencache/redisstore"
)

// tokKey is the Redis key a Store with the default prefix keeps key's token at.
func tokKey(key string) string {
	return redisstore.DefaultPrefix + "tok:{" + storekit.KeyHash(key) + "}"
}

// stalledListener accepts connections on loopback, reads what is sent and
// never answers: a Redis that hangs.
func stalledListener(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); _, _ = bytes.NewBuffer(nil).ReadFrom(c) }()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

// Issue 20 item 5: with the go-redis defaults of the package example
// (ContextTimeoutEnabled off, ReadTimeout 3 s), a Redis that accepts and
// never answers costs a cold Get one WithTimeout, not go-redis's timeouts.
func TestStalledRedisCostsOneTimeout(t *testing.T) {
	t.Run("ContextTimeoutEnabled=false", func(t *testing.T) {
		stalledCostsOneTimeout(t, &redis.Options{Addr: stalledListener(t)}) // go-redis's defaults
	})
	// The Store then calls Redis on the caller's goroutine and relies on
	// go-redis to keep to the deadline.
	t.Run("ContextTimeoutEnabled=true", func(t *testing.T) {
		stalledCostsOneTimeout(t, &redis.Options{Addr: stalledListener(t), ContextTimeoutEnabled: true})
	})
}

func stalledCostsOneTimeout(t *testing.T, opt *redis.Options) {
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	store := mustStore(t, rdb, redisstore.WithTimeout(200*time.Millisecond))

	start := time.Now()
	_, ok, err := store.Load(bg, "direct")
	assert.Error(t, err)
	assert.False(t, ok)
	assert.Less(t, time.Since(start), 700*time.Millisecond, "Load held its own timeout")

	c := newCache(t, tokencache.WithStore(mustStore(t, rdb, redisstore.WithTimeout(200*time.Millisecond))))
	m := &counter{now: time.Now}
	start = time.Now()
	_, err = c.Get(bg, "cartevo:cold", m.fetch)
	require.NoError(t, err)
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, 150*time.Millisecond, "it did wait for Redis")
	assert.Less(t, took, 700*time.Millisecond, "a cold Get costs one timeout, whatever the client's options")
	assert.EqualValues(t, 1, m.n.Load())
}

// Issue 20 item 6: a key holding a hash (WRONGTYPE) is a miss for that key
// alone: no cooldown for the Store, so a healthy key is still shared, and
// the bad key's Save replaces the hash.
func TestWrongTypeStaysWithItsKey(t *testing.T) {
	srv := redistest.Start(t)
	admin := client(t, srv.Addr)
	var logs lockedLog
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	require.NoError(t, admin.HSet(bg, tokKey("bad"), "field", "value").Err())

	a := newCache(t, tokencache.WithStore(mustStore(t, client(t, srv.Addr), redisstore.WithLogger(logger))))
	b := newCache(t, tokencache.WithStore(mustStore(t, client(t, srv.Addr))))
	bad := &counter{now: time.Now}
	_, err := a.Get(bg, "bad", bad.fetch)
	require.NoError(t, err)
	typ, err := admin.Type(bg, tokKey("bad")).Result()
	require.NoError(t, err)
	assert.Equal(t, "string", typ, "the Save replaced the hash")

	good := &counter{now: time.Now}
	_, err = a.Get(bg, "good", good.fetch)
	require.NoError(t, err)
	_, err = b.Get(bg, "good", good.fetch)
	require.NoError(t, err)
	assert.EqualValues(t, 1, good.n.Load(), "a healthy key is still shared: the Store did not cool down")
	_, err = b.Get(bg, "bad", bad.fetch)
	require.NoError(t, err)
	assert.EqualValues(t, 1, bad.n.Load(), "the bad key is shared again once replaced")
	assert.Contains(t, logs.String(), "wrong type")
	assert.NotContains(t, logs.String(), "redis unavailable")
}

// Issue 20 item 8: without encryption, alice's value copied under bob's
// key is a miss for bob (the key hash is inside the value, checked on
// Load); with encryption as well.
func TestValueIsBoundToItsKey(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr)
	exp := time.Now().Add(time.Hour)
	e := tokencache.Entry{Token: tokencache.Token{Value: "alice-secretvalue", ExpiresAt: exp}, RefreshAt: exp.Add(-time.Minute)}
	for name, opts := range map[string][]redisstore.Option{
		"plain":     nil,
		"encrypted": {redisstore.WithEncryptionKey([]byte("0123456789abcdef-key"))},
	} {
		require.NoError(t, rdb.FlushDB(bg).Err())
		st := mustStore(t, rdb, opts...)
		require.NoError(t, st.Save(bg, "appstle:alice", e), name)
		raw, err := rdb.Get(bg, tokKey("appstle:alice")).Bytes()
		require.NoError(t, err, name)
		require.NoError(t, rdb.Set(bg, tokKey("appstle:bob"), raw, time.Hour).Err(), name)

		_, ok, err := st.Load(bg, "appstle:bob")
		require.NoError(t, err, name)
		assert.False(t, ok, "%s: alice's value under bob's key is a miss", name)
		got, ok, err := st.Load(bg, "appstle:alice")
		require.NoError(t, err, name)
		require.True(t, ok, name)
		assert.Equal(t, e.Token.Value, got.Token.Value, name)
	}
}

// Issue 20 correctness gap: the sealed value's AES-GCM additional data is
// the key's binding. Opened here with a cipher built independently from the
// documented derivation (SHA-256 of the key): it opens with the binding as
// additional data and not with nil, so a Store sealing with nil fails.
func TestSealedValueAdditionalDataNamesTheKey(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr)
	encKey := []byte("0123456789abcdef-key")
	st := mustStore(t, rdb, redisstore.WithEncryptionKey(encKey))
	exp := time.Now().Add(time.Hour)
	require.NoError(t, st.Save(bg, "k", tokencache.Entry{Token: tokencache.Token{Value: "tok-secretvalue", ExpiresAt: exp}, RefreshAt: exp}))
	raw, err := rdb.Get(bg, tokKey("k")).Bytes()
	require.NoError(t, err)

	k := sha256.Sum256(encKey)
	block, err := aes.NewCipher(k[:])
	require.NoError(t, err)
	gcm, err := cipher.NewGCM(block)
	require.NoError(t, err)
	sealed := raw[storekit.FingerprintLen:]
	nonce, ct := sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():]
	_, err = gcm.Open(nil, nonce, ct, nil)
	assert.Error(t, err, "a value sealed with nil additional data is not bound to its key")
	_, err = gcm.Open(nil, nonce, ct, []byte("checkoutkit/v2 "+storekit.KeyHash("other")))
	assert.Error(t, err)
	plain, err := gcm.Open(nil, nonce, ct, []byte("checkoutkit/v2 "+storekit.KeyHash("k")))
	require.NoError(t, err, "the additional data is the key's hash")
	assert.Contains(t, string(plain), storekit.KeyHash("k"), "and the key hash is inside the value too")
}

// Issue 20 item 8: a value over the cap (64 KiB) is a logged miss, even
// when it is otherwise a valid entry bound to its key; a Save of one is an
// error and stores nothing.
func TestOversizedValueIsALoggedMiss(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr)
	var logs lockedLog
	st := mustStore(t, rdb, redisstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	exp := time.Now().Add(time.Hour)
	forge := func(key string, size int) {
		body, err := json.Marshal(map[string]any{
			"k": storekit.KeyHash(key), "v": strings.Repeat("x", size), "t": "Bearer",
			"e": exp.UnixNano(), "r": exp.Add(-time.Minute).UnixNano(),
		})
		require.NoError(t, err)
		require.NoError(t, rdb.Set(bg, tokKey(key), append(bytes.Repeat([]byte("0"), storekit.FingerprintLen), body...), time.Hour).Err())
	}
	forge("small", 100)
	got, ok, err := st.Load(bg, "small")
	require.NoError(t, err)
	require.True(t, ok, "the forged layout is a valid entry")
	assert.Len(t, got.Token.Value, 100)

	forge("huge", 16<<20)
	_, ok, err = st.Load(bg, "huge")
	require.NoError(t, err)
	assert.False(t, ok, "a 16 MiB value is a miss")
	assert.Contains(t, logs.String(), "refused")
	assert.Contains(t, logs.String(), "size cap", "refused for its size, not read whole and parsed")
	assert.NotContains(t, logs.String(), "xxxxxxxx")

	err = st.Save(bg, "big", tokencache.Entry{Token: tokencache.Token{Value: strings.Repeat("y", redisstore.MaxValueBytes), ExpiresAt: exp}, RefreshAt: exp})
	assert.Error(t, err)
	assert.NotContains(t, err.Error(), "yyyy")
	n, err := rdb.Exists(bg, tokKey("big")).Result()
	require.NoError(t, err)
	assert.Zero(t, n, "nothing stored")
}

// A lock key that no lock of the Store's can have left (a hash, or a
// string without an expiry) does not hold the lock forever: the key's
// refreshes mint at once instead of waiting out the lock wait each time.
func TestBadLockKeyIsReplaced(t *testing.T) {
	srv := redistest.Start(t)
	admin := client(t, srv.Addr)
	lockKey := func(key string) string { return redisstore.DefaultPrefix + "lock:{" + storekit.KeyHash(key) + "}" }
	require.NoError(t, admin.HSet(bg, lockKey("hashed"), "f", "v").Err())
	require.NoError(t, admin.Set(bg, lockKey("forever"), "someone", 0).Err())
	c := newCache(t, tokencache.WithStore(mustStore(t, client(t, srv.Addr))), tokencache.WithLockWait(2*time.Second))
	for _, key := range []string{"hashed", "forever"} {
		m := &counter{now: time.Now}
		start := time.Now()
		_, err := c.Get(bg, key, m.fetch)
		require.NoError(t, err)
		assert.Less(t, time.Since(start), time.Second, "%s: minted without waiting out the lock wait", key)
		assert.EqualValues(t, 1, m.n.Load())
	}
	// A live lock (a string with a TTL) is still respected.
	st := mustStore(t, client(t, srv.Addr))
	_, ok, err := st.TryLock(bg, "live", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	_, ok, err = st.TryLock(bg, "live", time.Minute)
	require.NoError(t, err)
	assert.False(t, ok)
}

// On a Cluster client whose nodes accept and never answer, the slot map
// cannot load: the lookup that picks a node's cooldown is bounded by the
// timeout too, and the next call stands aside at once.
func TestStalledClusterCostsOneTimeout(t *testing.T) {
	addr := stalledListener(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}}) // the defaults
	t.Cleanup(func() { rdb.Close() })
	store := mustStore(t, rdb, redisstore.WithTimeout(200*time.Millisecond))
	start := time.Now()
	_, ok, err := store.Load(bg, "k")
	assert.Error(t, err)
	assert.False(t, ok)
	assert.Less(t, time.Since(start), 700*time.Millisecond, "the slot lookup held the timeout")
	start = time.Now()
	_, _, err = store.Load(bg, "k2")
	assert.ErrorIs(t, err, redisstore.ErrUnavailable)
	assert.Less(t, time.Since(start), 50*time.Millisecond, "cooling down")
}

// A caller that gives up is not Redis's fault: its context's error comes
// back and the Store does not cool down, on either way of calling Redis.
func TestCallerGivingUpStartsNoCooldown(t *testing.T) {
	srv := redistest.Start(t)
	for _, ctxTimeout := range []bool{false, true} {
		t.Run(fmt.Sprintf("ContextTimeoutEnabled=%v", ctxTimeout), func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: ctxTimeout})
			t.Cleanup(func() { rdb.Close() })
			store := mustStore(t, rdb)
			tok := tokencache.Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}
			require.NoError(t, store.Save(bg, "k", tokencache.Entry{Token: tok, RefreshAt: tok.ExpiresAt.Add(-time.Minute)}))

			ctx, cancel := context.WithCancel(bg)
			cancel()
			_, ok, err := store.Load(ctx, "k")
			assert.False(t, ok)
			assert.ErrorIs(t, err, context.Canceled)
			assert.NotErrorIs(t, err, redisstore.ErrUnavailable)

			e, ok, err := store.Load(bg, "k")
			require.NoError(t, err, "no cooldown after the caller's own cancellation")
			assert.True(t, ok)
			assert.Equal(t, "v", e.Token.Value)
		})
	}
}

// The Store calls Redis on the caller's goroutine only for a client that
// keeps to deadlines by itself; with read deadlines turned off (-2) the
// call still ends at WithTimeout.
func TestInlineOnlyWhenTheClientKeepsToDeadlines(t *testing.T) {
	for _, opt := range []*redis.Options{
		{ContextTimeoutEnabled: true, ReadTimeout: -2},
		{ContextTimeoutEnabled: true, WriteTimeout: -2},
	} {
		opt.Addr = stalledListener(t)
		rdb := redis.NewClient(opt)
		t.Cleanup(func() { rdb.Close() })
		store := mustStore(t, rdb, redisstore.WithTimeout(200*time.Millisecond))
		start := time.Now()
		_, _, err := store.Load(bg, "k")
		assert.Error(t, err)
		assert.Less(t, time.Since(start), 700*time.Millisecond, "read %v write %v", opt.ReadTimeout, opt.WriteTimeout)
	}
}
