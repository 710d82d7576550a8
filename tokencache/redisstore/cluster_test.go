package redisstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/internal/redistest"
	"github.com/checkoutkit/checkoutkit/tokencache"
	"github.com/checkoutkit/checkoutkit/tokencache/redisstore"
)

func clusterClient(t testing.TB, c *redistest.Cluster) *redis.ClusterClient {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: c.Addrs(), DialTimeout: 200 * time.Millisecond, MaxRetries: -1, MaxRedirects: 2,
	})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// keyedCounter counts mints per cache key.
type keyedCounter struct {
	now func() time.Time
	mu  sync.Mutex
	n   map[string]int
}

func (k *keyedCounter) fetch(key string) tokencache.FetchFunc {
	return func(context.Context) (tokencache.Token, error) {
		k.mu.Lock()
		k.n[key]++
		n := k.n[key]
		k.mu.Unlock()
		time.Sleep(20 * time.Millisecond) // a provider round trip, so the herd overlaps
		return tokencache.Token{Value: fmt.Sprintf("%s-token-%d", key, n), ExpiresAt: k.now().Add(time.Hour)}, nil
	}
}

func (k *keyedCounter) mints(keys []string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	total := 0
	for _, key := range keys {
		total += k.n[key]
	}
	return total
}

// fleet is replicas on one Cluster, each with its own ClusterClient (its
// own connection pools), Store and cache, on one fake clock.
type fleet struct {
	caches []*tokencache.Cache
	clk    *fakeclock.Clock
	m      *keyedCounter
	logs   *lockedLog
}

type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newFleet(t *testing.T, c *redistest.Cluster, replicas int, opts ...redisstore.Option) *fleet {
	f := &fleet{clk: fakeclock.New(time.Now()), logs: &lockedLog{}}
	f.m = &keyedCounter{now: f.clk.Now, n: map[string]int{}}
	logger := slog.New(slog.NewTextHandler(f.logs, nil))
	for range replicas {
		st := mustStore(t, clusterClient(t, c), append([]redisstore.Option{redisstore.WithLogger(logger), redisstore.WithCooldown(time.Minute)}, opts...)...)
		f.caches = append(f.caches, newCache(t, tokencache.WithClock(f.clk.Now), tokencache.WithStore(st)))
	}
	return f
}

// round has callers per replica each Get every key; it returns the errors.
func (f *fleet) round(callers int, keys []string) int64 {
	var errs atomic.Int64
	var wg sync.WaitGroup
	for _, c := range f.caches {
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, k := range keys {
					if _, err := c.Get(bg, k, f.m.fetch(k)); err != nil {
						errs.Add(1)
					}
				}
			}()
		}
	}
	wg.Wait()
	return errs.Load()
}

func cacheKeys(n int) []string {
	var keys []string
	for i := range n {
		keys = append(keys, fmt.Sprintf("appstle:customer-%d", i))
	}
	return keys
}

// redisKey is where redisstore keeps a cache key's token: the default
// prefix and a hash of the key in a hash tag.
func redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "checkoutkit:tok:{" + hex.EncodeToString(sum[:16]) + "}"
}

func TestClusterFleetMintsOncePerRefresh(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	f := newFleet(t, cl, 8)
	keys := cacheKeys(20)

	assert.Zero(t, f.round(50, keys))
	assert.Equal(t, 20, f.m.mints(keys), "8 replicas × 50 callers × 20 keys: one mint per key")

	// The keys are spread over the three masters.
	nodes := map[string]bool{}
	rdb := clusterClient(t, cl)
	for _, k := range keys {
		n, err := rdb.MasterForKey(bg, redisKey(k))
		require.NoError(t, err)
		nodes[n.Options().Addr] = true
	}
	assert.Len(t, nodes, 3)

	f.clk.Add(time.Hour - 5*time.Second) // every token expired: a refresh
	assert.Zero(t, f.round(50, keys))
	assert.Equal(t, 40, f.m.mints(keys), "one mint per key for the second refresh too")
}

// A failing Cluster node costs only the keys it holds: the Store's cooldown
// is scoped to that node, so keys on the healthy masters stay shared.
func TestClusterNodeDownCostsOnlyItsKeys(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	f := newFleet(t, cl, 8)
	keys := cacheKeys(20)
	assert.Zero(t, f.round(10, keys))
	require.Equal(t, 20, f.m.mints(keys))

	rdb := clusterClient(t, cl)
	down := cl.Masters[0]
	var live, dead []string
	for _, k := range keys {
		n, err := rdb.MasterForKey(bg, redisKey(k))
		require.NoError(t, err)
		if n.Options().Addr == down.Addr {
			dead = append(dead, k)
		} else {
			live = append(live, k)
		}
	}
	require.NotEmpty(t, dead)
	require.NotEmpty(t, live)
	down.Stop()
	cl.AwaitFailed(t, down)

	f.clk.Add(time.Hour - 5*time.Second)
	assert.Zero(t, f.round(10, keys), "a down node fails no Get")
	assert.Equal(t, 2*len(live), f.m.mints(live), "keys on live masters: still one mint per refresh")
	assert.LessOrEqual(t, f.m.mints(dead), len(dead)*(1+len(f.caches)), "keys on the down master: at most one mint per replica")

	f.clk.Add(time.Hour - 5*time.Second) // a third refresh, the node still down
	assert.Zero(t, f.round(10, keys))
	assert.Equal(t, 3*len(live), f.m.mints(live))
	assert.Contains(t, f.logs.String(), "redis unavailable")
}

func TestClusterDownThenBack(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	f := newFleet(t, cl, 2, redisstore.WithCooldown(100*time.Millisecond))
	a, b := f.caches[0], f.caches[1]
	keys := cacheKeys(6)
	assert.Zero(t, f.round(1, keys))

	for _, m := range cl.Masters {
		m.Stop()
	}
	for i := range 5 { // every Get still succeeds, from memory or the provider
		for _, k := range keys {
			_, err := a.Get(bg, k, f.m.fetch(k))
			require.NoError(t, err)
		}
		start := time.Now()
		k := fmt.Sprint("down-", i)
		_, err := b.Get(bg, k, f.m.fetch(k))
		require.NoError(t, err)
		assert.Less(t, time.Since(start), time.Second, "a down Cluster costs little latency")
	}
	assert.NotContains(t, f.logs.String(), "token-")

	for _, m := range cl.Masters {
		m.Restart()
	}
	probe := mustStore(t, clusterClient(t, cl))
	require.Eventually(t, func() bool {
		for _, k := range keys {
			if _, _, err := probe.Load(bg, k); err != nil {
				return false
			}
		}
		return true
	}, 20*time.Second, 50*time.Millisecond, "the Cluster answers again")
	i := 0
	require.Eventually(t, func() bool { // once both replicas' cooldowns have lapsed
		i++
		k := fmt.Sprint("shared-again-", i)
		_, errA := a.Get(bg, k, f.m.fetch(k))
		_, errB := b.Get(bg, k, f.m.fetch(k))
		return errA == nil && errB == nil && f.m.mints([]string{k}) == 1
	}, 10*time.Second, 20*time.Millisecond, "sharing resumed: b read a's token from the Cluster")
}
