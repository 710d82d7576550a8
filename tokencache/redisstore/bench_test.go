package redisstore_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/internal/redistest"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// BenchmarkHitWithStore shows the in-memory hit path is the same with a
// Store behind it: hits never touch Redis.
func BenchmarkHitWithStore(b *testing.B) {
	srv := redistest.Start(b)
	store := mustStore(b, client(b, srv.Addr))
	fetch := func(context.Context) (tokencache.Token, error) {
		return tokencache.Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	for _, tc := range []struct {
		name string
		opts []tokencache.Option
	}{{"store=none", nil}, {"store=redis", []tokencache.Option{tokencache.WithStore(store)}}} {
		b.Run(tc.name, func(b *testing.B) {
			c := tokencache.New(tc.opts...)
			defer c.Close()
			src := c.Source("k", fetch)
			if _, err := src.Token(bg); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			var t tokencache.Token
			for range b.N {
				t, _ = src.Token(bg)
			}
			_ = t
		})
	}
}

// BenchmarkColdGetFromRedis is a Get for a key this process has never seen
// but another has saved in Redis, beside one bare GET round trip on the
// same client: with ContextTimeoutEnabled (the package example's client;
// the Store calls Redis on the caller's goroutine) and without it (each
// operation on a goroutine of its own, so that go-redis's own timeouts
// cannot hold it past WithTimeout).
func BenchmarkColdGetFromRedis(b *testing.B) {
	srv := redistest.Start(b)
	for _, ctxTimeout := range []bool{true, false} {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: ctxTimeout})
		b.Cleanup(func() { rdb.Close() })
		store := mustStore(b, rdb)
		name := fmt.Sprintf("ctxtimeout=%v", ctxTimeout)
		b.Run(name+"/impl=redis-GET", func(b *testing.B) {
			rdb.Set(bg, "plain", "value", time.Hour)
			for range b.N {
				if err := rdb.Get(bg, "plain").Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/impl=tokencache.Get", func(b *testing.B) {
			keys := make([]string, b.N)
			for i := range keys {
				keys[i] = fmt.Sprint("cold-", ctxTimeout, i)
				tok := tokencache.Token{Value: "v" + keys[i], ExpiresAt: time.Now().Add(time.Hour)}
				if err := store.Save(bg, keys[i], tokencache.Entry{Token: tok, RefreshAt: tok.ExpiresAt.Add(-5 * time.Minute)}); err != nil {
					b.Fatal(err)
				}
			}
			c := tokencache.New(tokencache.WithStore(store), tokencache.WithMaxEntries(b.N+1))
			defer c.Close()
			never := func(context.Context) (tokencache.Token, error) {
				return tokencache.Token{}, fmt.Errorf("minted: the store should have answered")
			}
			b.ResetTimer()
			for _, k := range keys {
				if _, err := c.Get(bg, k, never); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReplicas is a fleet sharing one redis-server: each replica its own
// cache and its own go-redis client (connection pool), 50 callers each, all
// asking for one key at once after it expired. Each op is three refresh
// rounds; the metrics are per refresh: mints (goal 1 whatever the fleet's
// size), Redis commands, and the 99th percentile of a caller's wait.
//
//	go test -run '^$' -bench Replicas -benchtime 3x ./tokencache/redisstore
func BenchmarkReplicas(b *testing.B) {
	srv := redistest.Start(b)
	admin := client(b, srv.Addr)
	for _, n := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			if err := admin.FlushDB(bg).Err(); err != nil { // nothing left from an earlier run
				b.Fatal(err)
			}
			clk := fakeclock.New(time.Now())
			var caches []*tokencache.Cache
			for range n {
				rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 10})
				defer rdb.Close()
				c := tokencache.New(tokencache.WithClock(clk.Now), tokencache.WithStore(mustStore(b, rdb)), tokencache.WithLockWait(2*time.Second))
				defer c.Close()
				caches = append(caches, c)
			}
			var mints atomic.Int64
			fetch := func(context.Context) (tokencache.Token, error) {
				m := mints.Add(1)
				time.Sleep(20 * time.Millisecond) // a provider round trip
				return tokencache.Token{Value: fmt.Sprint("tok-", m), ExpiresAt: clk.Now().Add(time.Hour)}, nil
			}
			key := fmt.Sprint("bench-replicas-", n)
			var waits []time.Duration
			var mu sync.Mutex
			cmdsBefore := commands(b, admin)
			b.ResetTimer()
			for range b.N {
				for range 3 {
					clk.Add(time.Hour) // the token expired: a refresh
					var wg sync.WaitGroup
					for _, c := range caches {
						for range 50 {
							wg.Add(1)
							go func() {
								defer wg.Done()
								start := time.Now()
								if _, err := c.Get(bg, key, fetch); err != nil {
									b.Error(err)
								}
								d := time.Since(start)
								mu.Lock()
								waits = append(waits, d)
								mu.Unlock()
							}()
						}
					}
					wg.Wait()
				}
			}
			b.StopTimer()
			refreshes := float64(3 * b.N)
			slices.Sort(waits)
			b.ReportMetric(float64(mints.Load())/refreshes, "mints/refresh")
			b.ReportMetric(float64(commands(b, admin)-cmdsBefore-1)/refreshes, "redis-cmds/refresh")
			b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds())/1000, "p99-wait-ms")
		})
	}
}

// commands reads how many commands Redis has processed (this INFO call
// included).
func commands(b *testing.B, rdb *redis.Client) int64 {
	info, err := rdb.Info(bg, "stats").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "total_commands_processed:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Fatal("no total_commands_processed in INFO")
	return 0
}
