package tokencache_test

// Scale curves (issue 16): how the cost of a hit and of an insert grows
// with the number of keys, each row beside a reference measured in the
// same run. They run only with -bench.

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/checkoutkit/checkoutkit/tokencache"
)

func scaleKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("crovver:%016x:%016x", i*7919, i)
	}
	return keys
}

// stride visits every index of n in an order that jumps around memory
// (an odd step coprime with n, which is a power of ten here), so that
// large sizes are not measured on a prefetch-friendly sequential walk.
func stride(n int) int { return 7_368_787%n | 1 }

func heapNow() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

var (
	sinkAny any
	sinkOK  bool
)

// Keyed Get hit with n live keys, beside a plain sync.Map lookup of the
// same n keys (returning the token it holds) and one bare time.Now().
// heap-B/entry is what the heap grew by per key while filling (the key
// strings excluded, the 32-byte token values included).
func BenchmarkKeyedGetHitScale(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		keys := scaleKeys(n)
		step := stride(n)
		var (
			c       *tokencache.Cache
			cHeap   float64
			m       *sync.Map
			mHeap   float64
			fetches []tokencache.FetchFunc
		)
		b.Run(fmt.Sprintf("keys=%d/impl=tokencache.Get", n), func(b *testing.B) {
			if c == nil {
				fetches = make([]tokencache.FetchFunc, n)
				for i := range fetches {
					v := fmt.Sprintf("%032d", i)
					fetches[i] = func(context.Context) (tokencache.Token, error) {
						return tokencache.Token{Value: v, Type: "Bearer", ExpiresAt: time.Now().Add(time.Hour)}, nil
					}
				}
				h0 := heapNow()
				c = tokencache.New(tokencache.WithMaxEntries(n))
				for i, k := range keys {
					if _, err := c.Get(ctx, k, fetches[i]); err != nil {
						b.Fatal(err)
					}
				}
				cHeap = float64(heapNow()-h0) / float64(n)
			}
			// Every lookup hits, so fetch is never called: one shared
			// function keeps the loop from reading a slice of n fetch
			// functions (a memory miss of its own at large n that the
			// sync.Map reference does not pay). Stats below proves no
			// lookup fetched.
			miss := fetches[0]
			b.ReportAllocs()
			b.ResetTimer()
			var t tokencache.Token
			j := 0
			for range b.N {
				t, _ = c.Get(ctx, keys[j], miss)
				if j += step; j >= n {
					j -= n
				}
			}
			sinkTok = t
			b.StopTimer()
			b.ReportMetric(cHeap, "heap-B/entry")
			if s := c.Stats(); s.Fetches != uint64(n) || s.Entries != n {
				b.Fatalf("want %d fetches and entries, got %+v", n, s)
			}
		})
		b.Run(fmt.Sprintf("keys=%d/impl=sync.Map", n), func(b *testing.B) {
			if m == nil {
				h0 := heapNow()
				m = new(sync.Map)
				for i, k := range keys {
					m.Store(k, &tokencache.Token{Value: fmt.Sprintf("%032d", i), Type: "Bearer", ExpiresAt: time.Now().Add(time.Hour)})
				}
				mHeap = float64(heapNow()-h0) / float64(n)
			}
			b.ReportAllocs()
			b.ResetTimer()
			var t tokencache.Token
			j := 0
			for range b.N {
				if v, ok := m.Load(keys[j]); ok {
					t = *v.(*tokencache.Token)
				}
				if j += step; j >= n {
					j -= n
				}
			}
			sinkTok = t
			b.StopTimer()
			b.ReportMetric(mHeap, "heap-B/entry")
		})
		b.Run(fmt.Sprintf("keys=%d/impl=time.Now", n), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				sinkTime = time.Now()
			}
		})
		if c != nil {
			c.Close()
		}
		c, m, fetches = nil, nil, nil
		runtime.KeepAlive(keys)
	}
}

// Churn: every op inserts a new key (a Get that misses and fetches). In a
// full cache each insert evicts an old entry; the reference is the same
// inserts into a cache holding the same n keys with room to spare.
func BenchmarkInsertAtCapacity(b *testing.B) {
	ctx := context.Background()
	fetch := func(context.Context) (tokencache.Token, error) {
		return tokencache.Token{Value: "v", Type: "Bearer", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	for _, n := range []int{10_000, 100_000} {
		old := scaleKeys(n)
		run := func(b *testing.B, max int) {
			c := tokencache.New(tokencache.WithMaxEntries(max))
			defer c.Close()
			for _, k := range old {
				if _, err := c.Get(ctx, k, fetch); err != nil {
					b.Fatal(err)
				}
			}
			fresh := make([]string, b.N)
			for i := range fresh {
				fresh[i] = fmt.Sprintf("new:%016x", i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := c.Get(ctx, fresh[i], fetch); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if s := c.Stats(); max == n && (s.Entries != n || s.Evictions != uint64(b.N)) {
				b.Fatalf("want %d entries and %d evictions, got %+v", n, b.N, s)
			}
		}
		b.Run(fmt.Sprintf("entries=%d/impl=full", n), func(b *testing.B) { run(b, n) })
		b.Run(fmt.Sprintf("entries=%d/impl=below-capacity", n), func(b *testing.B) { run(b, 1<<30) })
	}
}
