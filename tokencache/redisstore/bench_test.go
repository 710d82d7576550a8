package redisstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

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
// but another has saved in Redis, beside one bare GET round trip.
func BenchmarkColdGetFromRedis(b *testing.B) {
	srv := redistest.Start(b)
	rdb := client(b, srv.Addr)
	store := mustStore(b, rdb)
	b.Run("impl=redis-GET", func(b *testing.B) {
		rdb.Set(bg, "plain", "value", time.Hour)
		for range b.N {
			if err := rdb.Get(bg, "plain").Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=tokencache.Get", func(b *testing.B) {
		keys := make([]string, b.N)
		for i := range keys {
			keys[i] = fmt.Sprint("cold-", i)
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
