package redisstore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/internal/redistest"
	"github.com/checkoutkit/checkoutkit/tokencache"
	"github.com/checkoutkit/checkoutkit/tokencache/redisstore"
)

func TestMain(m *testing.M) {
	switch os.Getenv("REDISSTORE_CHILD") {
	case "herd":
		os.Exit(child())
	case "lock-holder":
		os.Exit(lockHolder())
	}
	redis.SetLogger(quiet{}) // the tests stop Redis on purpose; its dial errors are expected
	goleak.VerifyTestMain(m)
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

var bg = context.Background()

func client(t testing.TB, addr string) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// counter is a FetchFunc counting mints.
type counter struct {
	n     atomic.Int64
	now   func() time.Time
	delay time.Duration
}

func (c *counter) fetch(context.Context) (tokencache.Token, error) {
	n := c.n.Add(1)
	time.Sleep(c.delay)
	return tokencache.Token{Value: "token-" + strconv.FormatInt(n, 10) + "-secretvalue", Type: "Bearer", ExpiresAt: c.now().Add(time.Hour)}, nil
}

// mustStore is redisstore.New for options that are valid.
func mustStore(t testing.TB, rdb redis.UniversalClient, opts ...redisstore.Option) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(rdb, opts...)
	require.NoError(t, err)
	return s
}

// storeOrExit is mustStore for the re-executed child processes.
func storeOrExit(rdb redis.UniversalClient) *redisstore.Store {
	s, err := redisstore.New(rdb)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	return s
}

func newCache(t testing.TB, opts ...tokencache.Option) *tokencache.Cache {
	c := tokencache.New(opts...)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestTwoCachesMintOncePerRefresh(t *testing.T) {
	srv := redistest.Start(t)
	store := mustStore(t, client(t, srv.Addr))
	clk := fakeclock.New(time.Now())
	m := &counter{now: clk.Now, delay: 20 * time.Millisecond}
	a := newCache(t, tokencache.WithClock(clk.Now), tokencache.WithStore(store))
	b := newCache(t, tokencache.WithClock(clk.Now), tokencache.WithStore(store))

	herd := func() {
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := a
				if i%2 == 1 {
					c = b
				}
				_, err := c.Get(bg, "cartevo:abc", m.fetch)
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
	}
	herd()
	assert.EqualValues(t, 1, m.n.Load())
	ta, _ := a.Get(bg, "cartevo:abc", m.fetch)
	tb, _ := b.Get(bg, "cartevo:abc", m.fetch)
	assert.Equal(t, ta.Value, tb.Value)
	assert.True(t, ta.ExpiresAt.Equal(tb.ExpiresAt))

	clk.Add(time.Hour - 5*time.Second) // both expired: every caller waits
	herd()
	assert.EqualValues(t, 2, m.n.Load(), "one mint for the second refresh too")
}

func TestKeysAndValuesRevealNothing(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr)
	key := []byte("0123456789abcdef-encryption-key")
	c := newCache(t, tokencache.WithStore(mustStore(t, rdb, redisstore.WithEncryptionKey(key), redisstore.WithPrefix("app1:"))))
	m := &counter{now: time.Now}
	cacheKey := "appstle:ada@example.com:client_123"
	tok, err := c.Get(bg, cacheKey, m.fetch)
	require.NoError(t, err)

	keys, err := rdb.Keys(bg, "*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.True(t, strings.HasPrefix(keys[0], "app1:tok:{"), keys[0])
	assert.NotContains(t, keys[0], "ada")
	assert.NotContains(t, keys[0], "client_123")
	raw, err := rdb.Get(bg, keys[0]).Bytes()
	require.NoError(t, err)
	assert.False(t, bytes.Contains(raw, []byte(tok.Value)), "GET shows no token")
	assert.False(t, bytes.Contains(raw, []byte("secretvalue")))
	ttl, err := rdb.PTTL(bg, keys[0]).Result()
	require.NoError(t, err)
	assert.InDelta(t, time.Hour.Seconds(), ttl.Seconds(), 5, "expires at the token's ExpiresAt")

	// Another process with the key reads it; one with a wrong key or none
	// sees a miss, never an error.
	st := mustStore(t, rdb, redisstore.WithEncryptionKey(key), redisstore.WithPrefix("app1:"))
	e, ok, err := st.Load(bg, cacheKey)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, tok.Value, e.Token.Value)
	for _, other := range []*redisstore.Store{
		mustStore(t, rdb, redisstore.WithEncryptionKey([]byte("another-key-of-sixteen+")), redisstore.WithPrefix("app1:")),
		mustStore(t, rdb, redisstore.WithPrefix("app1:")),
	} {
		_, ok, err := other.Load(bg, cacheKey)
		assert.NoError(t, err)
		assert.False(t, ok)
	}
	require.NoError(t, rdb.Set(bg, keys[0], "garbage", time.Minute).Err())
	_, ok, err = st.Load(bg, cacheKey)
	assert.NoError(t, err)
	assert.False(t, ok, "garbage is a miss")
}

func TestShortEncryptionKeyIsAnErrorFromNew(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	defer rdb.Close()
	st, err := redisstore.New(rdb, redisstore.WithEncryptionKey([]byte("tiny-k3y")))
	require.Error(t, err)
	assert.Nil(t, st)
	assert.Contains(t, err.Error(), "WithEncryptionKey")
	assert.NotContains(t, err.Error(), "tiny-k3y")
	_, err = redisstore.New(nil)
	assert.Error(t, err)
	_, err = redisstore.New(rdb, redisstore.WithEncryptionKey([]byte("sixteen-bytes-ok")))
	assert.NoError(t, err)
}

// A timeout or cooldown that is not positive was dropped in silence (the
// default stayed), where sqlstore and every provider's New refuse it.
func TestNonPositiveDurationsAreErrorsFromNew(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	defer rdb.Close()
	for name, opt := range map[string]redisstore.Option{
		"WithTimeout":  redisstore.WithTimeout(0),
		"WithCooldown": redisstore.WithCooldown(-time.Second),
	} {
		st, err := redisstore.New(rdb, opt)
		require.Error(t, err, name)
		assert.Nil(t, st, name)
		assert.Contains(t, err.Error(), name)
	}
	_, err := redisstore.New(rdb, redisstore.WithTimeout(time.Millisecond), redisstore.WithCooldown(time.Millisecond))
	assert.NoError(t, err)
}

func TestInvalidateIsCompareAndDelete(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr)
	store := mustStore(t, rdb)
	m := &counter{now: time.Now}
	a := newCache(t, tokencache.WithStore(store))
	b := newCache(t, tokencache.WithStore(store))
	old, err := a.Get(bg, "k", m.fetch)
	require.NoError(t, err)

	b.Invalidate("k", tokencache.Token{Value: "not-the-stored-one"})
	_, ok, _ := store.Load(bg, "k")
	assert.True(t, ok, "a different value leaves the entry")

	a.Invalidate("k", old) // a 401 on old
	_, ok, _ = store.Load(bg, "k")
	assert.False(t, ok)
	fresh, err := b.Get(bg, "k", m.fetch)
	require.NoError(t, err)
	assert.NotEqual(t, old.Value, fresh.Value)
	assert.EqualValues(t, 2, m.n.Load())
}

func TestLockHolderDiesOthersMintWithinBound(t *testing.T) {
	srv := redistest.Start(t)
	store := mustStore(t, client(t, srv.Addr))
	_, held, err := store.TryLock(bg, "k", time.Minute) // a holder that dies without releasing
	require.NoError(t, err)
	require.True(t, held)
	_, again, err := store.TryLock(bg, "k", time.Minute)
	require.NoError(t, err)
	require.False(t, again, "the lock is exclusive")

	c := newCache(t, tokencache.WithStore(store), tokencache.WithLockWait(150*time.Millisecond))
	m := &counter{now: time.Now}
	start := time.Now()
	_, err = c.Get(bg, "k", m.fetch)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), time.Second)
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond, "it waited for the holder first")
	assert.EqualValues(t, 1, m.n.Load())
}

func TestLockReleaseOnlyByOwner(t *testing.T) {
	srv := redistest.Start(t)
	store := mustStore(t, client(t, srv.Addr))
	release, ok, err := store.TryLock(bg, "k", 50*time.Millisecond)
	require.NoError(t, err)
	require.True(t, ok)
	var release2 func(context.Context) error
	require.Eventually(t, func() bool { // once Redis has expired the first lock
		release2, ok, err = store.TryLock(bg, "k", time.Minute)
		return err == nil && ok
	}, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, release(bg)) // the first owner's late release
	_, ok, err = store.TryLock(bg, "k", time.Minute)
	require.NoError(t, err)
	assert.False(t, ok, "a late release does not free someone else's lock")
	require.NoError(t, release2(bg))
}

func TestRedisDownThenBack(t *testing.T) {
	srv := redistest.Start(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	store := mustStore(t, client(t, srv.Addr), redisstore.WithCooldown(100*time.Millisecond), redisstore.WithLogger(logger))
	m := &counter{now: time.Now}
	a := newCache(t, tokencache.WithStore(store))
	b := newCache(t, tokencache.WithStore(store))
	_, err := a.Get(bg, "k1", m.fetch)
	require.NoError(t, err)

	srv.Stop()
	for i := range 5 { // every Get still succeeds, from memory or the provider
		_, err := a.Get(bg, "k1", m.fetch)
		require.NoError(t, err)
		start := time.Now()
		_, err = b.Get(bg, fmt.Sprint("down-", i), m.fetch)
		require.NoError(t, err)
		assert.Less(t, time.Since(start), time.Second, "a down Redis costs little latency")
	}
	assert.Contains(t, logs.String(), "redis unavailable")
	assert.Equal(t, 1, strings.Count(logs.String(), "redis unavailable"), "warnings are rate-limited")
	assert.NotContains(t, logs.String(), "secretvalue")

	srv.Restart()
	require.Eventually(t, func() bool {
		_, _, err := store.Load(bg, "probe")
		return err == nil
	}, 2*time.Second, 50*time.Millisecond, "Redis answers again")
	before := m.n.Load()
	_, err = a.Get(bg, "shared-again", m.fetch)
	require.NoError(t, err)
	_, err = b.Get(bg, "shared-again", m.fetch)
	require.NoError(t, err)
	assert.Equal(t, before+1, m.n.Load(), "sharing resumed: b read a's token from Redis")
	assert.EqualValues(t, 1, b.Stats().StoreHits)
}

// TestProcessesMintOncePerRefresh runs several OS processes (this test
// binary re-executed) × 50 goroutines on one Redis, each minting through a
// shared counter in Redis itself (INCR), for two refresh rounds.
func TestProcessesMintOncePerRefresh(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr)
	const procs = 8
	round1 := time.Now().Add(3 * time.Second)     // time for 8 processes to start, even under -race
	round2 := round1.Add(3500 * time.Millisecond) // tokens live 4 s: expired by then
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(),
			"REDISSTORE_CHILD=herd", "REDIS_ADDR="+srv.Addr,
			"ROUND1="+strconv.FormatInt(round1.UnixNano(), 10), "ROUND2="+strconv.FormatInt(round2.UnixNano(), 10))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		cmds, outs = append(cmds, cmd), append(outs, &out)
	}
	for i, cmd := range cmds {
		require.NoError(t, cmd.Wait(), outs[i].String())
	}
	mints, err := rdb.Get(bg, "test:mints").Int()
	require.NoError(t, err)
	assert.Equal(t, 2, mints, "one mint per refresh across %d processes × 50 goroutines", procs)
}

// child is a process of TestProcessesMintOncePerRefresh.
func child() int {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR")})
	defer rdb.Close()
	cache := tokencache.New(tokencache.WithStore(storeOrExit(rdb)), tokencache.WithEarlyExpiry(time.Minute))
	defer cache.Close()
	fetch := func(ctx context.Context) (tokencache.Token, error) {
		n, err := rdb.Incr(ctx, "test:mints").Result()
		if err != nil {
			return tokencache.Token{}, err
		}
		time.Sleep(50 * time.Millisecond) // a provider round trip
		return tokencache.Token{Value: fmt.Sprint("tok-", n), ExpiresAt: cache.Now().Add(4 * time.Second)}, nil
	}
	for _, env := range []string{"ROUND1", "ROUND2"} {
		at, _ := strconv.ParseInt(os.Getenv(env), 10, 64)
		time.Sleep(time.Until(time.Unix(0, at)))
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := cache.Get(context.Background(), "cartevo:shared", fetch); err != nil {
					fmt.Fprintln(os.Stderr, "child Get:", err)
					failed.Add(1)
				}
			}()
		}
		wg.Wait()
		if failed.Load() > 0 {
			return 1
		}
	}
	return 0
}

// TestKilledLockHolder: a process takes the refresh lock, then is killed
// with SIGKILL before it saves a token; the lock stays in Redis until its
// TTL, and another process's cache mints after waiting its lock-wait bound.
func TestKilledLockHolder(t *testing.T) {
	srv := redistest.Start(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "REDISSTORE_CHILD=lock-holder", "REDIS_ADDR="+srv.Addr)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line := make([]byte, 6)
	_, err = io.ReadFull(out, line)
	require.NoError(t, err)
	require.Equal(t, "locked", string(line))
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	store := mustStore(t, client(t, srv.Addr))
	_, free, err := store.TryLock(bg, "cartevo:shared", time.Second)
	require.NoError(t, err)
	require.False(t, free, "the dead holder's lock is still there")

	c := newCache(t, tokencache.WithStore(store), tokencache.WithLockWait(200*time.Millisecond))
	m := &counter{now: time.Now}
	start := time.Now()
	_, err = c.Get(bg, "cartevo:shared", m.fetch)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), time.Second, "minted within the wait bound")
	assert.EqualValues(t, 1, m.n.Load())
}

// lockHolder takes the lock for a long time, says so, and waits to be killed.
func lockHolder() int {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR")})
	_, ok, err := storeOrExit(rdb).TryLock(context.Background(), "cartevo:shared", time.Minute)
	if err != nil || !ok {
		return 1
	}
	fmt.Print("locked")
	time.Sleep(time.Minute)
	return 0
}
