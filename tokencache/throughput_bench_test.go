package tokencache_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/puzpuzpuz/xsync/v4"

	"github.com/checkoutkit/checkoutkit/tokencache"
)

// zipfKeys is a read trace in the method of otter's throughput benchmarks:
// 32,768 distinct keys, requested in a Zipf distribution (s = 1.01, v = 1),
// over a cache filled with all of them first.
const (
	zipfKeyCount = 1 << 15
	zipfTrace    = 1 << 20
)

func zipfTraceKeys() (distinct []string, trace []string) {
	distinct = make([]string, zipfKeyCount)
	for i := range distinct {
		distinct[i] = fmt.Sprintf("provider:%032x", i)
	}
	z := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.01, 1, zipfKeyCount-1)
	trace = make([]string, zipfTrace)
	for i := range trace {
		trace[i] = distinct[z.Uint64()]
	}
	return distinct, trace
}

// BenchmarkZipfThroughput reports parallel readers' ops/s for Cache.Get,
// otter's GetIfPresent, and bare xsync.Map and sync.Map loads (the two maps
// the cache could keep its entries in), on one trace in one run.
func BenchmarkZipfThroughput(b *testing.B) {
	distinct, trace := zipfTraceKeys()
	tok := func(k string) tokencache.Token {
		return tokencache.Token{Value: k, Type: "Bearer", ExpiresAt: time.Now().Add(time.Hour)}
	}
	run := func(b *testing.B, get func(key string) bool) {
		var start atomic.Uint64
		b.ReportAllocs()
		b.ResetTimer()
		began := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			j := int(start.Add(zipfTrace/16) % zipfTrace)
			for pb.Next() {
				if !get(trace[j]) {
					panic("miss")
				}
				if j++; j == zipfTrace {
					j = 0
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "ops/s")
	}
	ctx := context.Background()
	b.Run("impl=tokencache.Get", func(b *testing.B) {
		c := tokencache.New(tokencache.WithMaxEntries(zipfKeyCount))
		defer c.Close()
		fetch := func(context.Context) (tokencache.Token, error) { return tok("x"), nil }
		for _, k := range distinct {
			if _, err := c.Get(ctx, k, fetch); err != nil {
				b.Fatal(err)
			}
		}
		run(b, func(k string) bool { t, err := c.Get(ctx, k, fetch); return err == nil && t.Value != "" })
		if s := c.Stats(); s.Fetches != zipfKeyCount {
			b.Fatalf("%d fetches: a read missed", s.Fetches)
		}
	})
	b.Run("impl=otter.GetIfPresent", func(b *testing.B) {
		c := otter.Must(&otter.Options[string, tokencache.Token]{MaximumSize: zipfKeyCount})
		for _, k := range distinct {
			c.Set(k, tok(k))
		}
		run(b, func(k string) bool { _, ok := c.GetIfPresent(k); return ok })
	})
	b.Run("impl=xsync.Map", func(b *testing.B) {
		m := xsync.NewMap[string, *tokencache.Token]()
		for _, k := range distinct {
			t := tok(k)
			m.Store(k, &t)
		}
		run(b, func(k string) bool { v, ok := m.Load(k); return ok && v.Value != "" })
	})
	b.Run("impl=sync.Map", func(b *testing.B) {
		var m sync.Map
		for _, k := range distinct {
			t := tok(k)
			m.Store(k, &t)
		}
		run(b, func(k string) bool { v, ok := m.Load(k); return ok && v.(*tokencache.Token).Value != "" })
	})
}
