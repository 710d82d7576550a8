package tokencache_test

// Benchmarks of the cache beside golang.org/x/oauth2's ReuseTokenSource (and
// bare runtime references) doing the same work in the same run. The README
// lists the figures and the command.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/checkoutkit/checkoutkit/tokencache"
)

type oauthSrc func() (*oauth2.Token, error)

func (f oauthSrc) Token() (*oauth2.Token, error) { return f() }

var (
	sinkTok   tokencache.Token
	sinkOAuth *oauth2.Token
	sinkTime  time.Time
)

// Fixed-key hit: the access-token path of cartevo and altpay.
func BenchmarkFixedKeyHit(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=tokencache.Source", func(b *testing.B) {
		c := tokencache.New()
		defer c.Close()
		src := c.Source("k", func(context.Context) (tokencache.Token, error) {
			return tokencache.Token{Value: "v", Type: "Bearer", ExpiresAt: time.Now().Add(time.Hour)}, nil
		})
		if _, err := src.Token(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		var t tokencache.Token
		for range b.N {
			t, _ = src.Token(ctx)
		}
		sinkTok = t
	})
	b.Run("impl=oauth2.ReuseTokenSource", func(b *testing.B) {
		ts := oauth2.ReuseTokenSource(nil, oauthSrc(func() (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "v", Expiry: time.Now().Add(time.Hour)}, nil
		}))
		b.ReportAllocs()
		b.ResetTimer()
		var t *oauth2.Token
		for range b.N {
			t, _ = ts.Token()
		}
		sinkOAuth = t
	})
}

func BenchmarkFixedKeyHitParallel(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=tokencache.Source", func(b *testing.B) {
		c := tokencache.New()
		defer c.Close()
		src := c.Source("k", func(context.Context) (tokencache.Token, error) {
			return tokencache.Token{Value: "v", Type: "Bearer", ExpiresAt: time.Now().Add(time.Hour)}, nil
		})
		if _, err := src.Token(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var t tokencache.Token
			for pb.Next() {
				t, _ = src.Token(ctx)
			}
			_ = t
		})
	})
	b.Run("impl=oauth2.ReuseTokenSource", func(b *testing.B) {
		ts := oauth2.ReuseTokenSource(nil, oauthSrc(func() (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "v", Expiry: time.Now().Add(time.Hour)}, nil
		}))
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var t *oauth2.Token
			for pb.Next() {
				t, _ = ts.Token()
			}
			_ = t
		})
	})
}

// Keyed Get hit with 10,000 live keys, beside one bare time.Now().
func BenchmarkKeyedGetHit(b *testing.B) {
	const n = 10_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("crovver:%016x:%016x", i*7919, i)
	}
	b.Run("impl=tokencache.Get", func(b *testing.B) {
		c := tokencache.New()
		defer c.Close()
		fetch := func(context.Context) (tokencache.Token, error) {
			return tokencache.Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}, nil
		}
		ctx := context.Background()
		for _, k := range keys {
			if _, err := c.Get(ctx, k, fetch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		var t tokencache.Token
		for i := range b.N {
			t, _ = c.Get(ctx, keys[i%n], fetch)
		}
		sinkTok = t
	})
	b.Run("impl=time.Now", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			sinkTime = time.Now()
		}
	})
}

const (
	herdSize  = 10_000
	fetchTime = 20 * time.Millisecond
)

// herd starts n goroutines blocked on a start signal, releases them and
// returns the makespan: from the signal until every one has returned.
func herd(b *testing.B, n int, call func() error) time.Duration {
	b.Helper()
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Pointer[error]
	for range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			if err := call(); err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, &err)
			}
		}()
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	d := time.Since(t0)
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d callers failed, first: %v", f, *firstErr.Load())
	}
	return d
}

// reportMakespan reports the mean makespan of b.N herds.
func reportMakespan(b *testing.B, total time.Duration) {
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "makespan-ms")
}

// Cold herd: n goroutines ask for one key that has no token; the fetch
// takes 20 ms. The reference is the floor: n goroutines waiting on one
// channel closed after 20 ms. The README's row is goroutines=10000.
func BenchmarkColdHerd(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{100, 1_000, herdSize} {
		b.Run(fmt.Sprintf("goroutines=%d/impl=closed-channel", n), func(b *testing.B) {
			var makespan time.Duration
			for range b.N {
				once, ch := new(sync.Once), make(chan struct{})
				makespan += herd(b, n, func() error {
					once.Do(func() { time.AfterFunc(fetchTime, func() { close(ch) }) })
					<-ch
					return nil
				})
			}
			reportMakespan(b, makespan)
			b.ReportMetric(1, "fetches/op")
		})
		// The callers' context decides how they wait (see Cache.Get): one
		// that can never end waits in singleflight.Do, one with a deadline
		// in a select over DoChan, its context and Close. Both rows are the
		// paired measurement behind keeping the two.
		for _, cc := range []struct {
			name string
			ctx  func() (context.Context, context.CancelFunc)
		}{
			{"tokencache", func() (context.Context, context.CancelFunc) { return ctx, func() {} }},
			{"tokencache-deadline", func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, time.Minute) }},
		} {
			b.Run(fmt.Sprintf("goroutines=%d/impl=%s", n, cc.name), func(b *testing.B) {
				var makespan time.Duration
				var fetches atomic.Int64
				for range b.N {
					c := tokencache.New()
					fetch := func(context.Context) (tokencache.Token, error) {
						fetches.Add(1)
						time.Sleep(fetchTime)
						return tokencache.Token{Value: "v", ExpiresAt: c.Now().Add(time.Hour)}, nil
					}
					cctx, cancel := cc.ctx()
					makespan += herd(b, n, func() error {
						_, err := c.Get(cctx, "k", fetch)
						return err
					})
					cancel()
					c.Close()
				}
				reportMakespan(b, makespan)
				b.ReportMetric(float64(fetches.Load())/float64(b.N), "fetches/op")
			})
		}
		b.Run(fmt.Sprintf("goroutines=%d/impl=oauth2.ReuseTokenSource", n), func(b *testing.B) {
			var makespan time.Duration
			var fetches atomic.Int64
			src := oauthSrc(func() (*oauth2.Token, error) {
				fetches.Add(1)
				time.Sleep(fetchTime)
				return &oauth2.Token{AccessToken: "v", Expiry: time.Now().Add(time.Hour)}, nil
			})
			for range b.N {
				ts := oauth2.ReuseTokenSource(nil, src)
				makespan += herd(b, n, func() error {
					_, err := ts.Token()
					return err
				})
			}
			reportMakespan(b, makespan)
			b.ReportMetric(float64(fetches.Load())/float64(b.N), "fetches/op")
		})
	}
}

var errDown = errors.New("provider down")

// Failing herd: 100 concurrent callers while the provider fails (5 ms per
// call), then 10 sequential callers. Reports provider calls per round.
func BenchmarkFailingHerd(b *testing.B) {
	ctx := context.Background()
	const callers, after = 100, 10
	b.Run("impl=tokencache", func(b *testing.B) {
		var calls atomic.Int64
		fetch := func(context.Context) (tokencache.Token, error) {
			calls.Add(1)
			time.Sleep(5 * time.Millisecond)
			return tokencache.Token{}, errDown
		}
		for range b.N {
			c := tokencache.New()
			herd(b, callers, func() error {
				if _, err := c.Get(ctx, "k", fetch); !errors.Is(err, errDown) {
					return fmt.Errorf("want the shared error, got %v", err)
				}
				return nil
			})
			for range after {
				if _, err := c.Get(ctx, "k", fetch); !errors.Is(err, errDown) {
					b.Fatal(err)
				}
			}
			c.Close()
		}
		b.ReportMetric(float64(calls.Load())/float64(b.N), "upstream-calls/op")
	})
	b.Run("impl=oauth2.ReuseTokenSource", func(b *testing.B) {
		var calls atomic.Int64
		src := oauthSrc(func() (*oauth2.Token, error) {
			calls.Add(1)
			time.Sleep(5 * time.Millisecond)
			return nil, errDown
		})
		for range b.N {
			ts := oauth2.ReuseTokenSource(nil, src)
			herd(b, callers, func() error {
				if _, err := ts.Token(); !errors.Is(err, errDown) {
					return fmt.Errorf("want the error, got %v", err)
				}
				return nil
			})
			for range after {
				_, _ = ts.Token()
			}
		}
		b.ReportMetric(float64(calls.Load())/float64(b.N), "upstream-calls/op")
	})
}

// Leader cancel: the caller whose Get started a 20 ms fetch cancels 5 ms in;
// 10 other callers wait too. Reports how long the leader took to return
// after its cancel, and the provider calls. oauth2's TokenSource takes no
// context, so its leader can only wait for the fetch.
func BenchmarkLeaderCancel(b *testing.B) {
	const others = 10
	b.Run("impl=tokencache", func(b *testing.B) {
		var calls atomic.Int64
		var lag time.Duration
		for range b.N {
			c := tokencache.New()
			started := make(chan struct{})
			fetch := func(context.Context) (tokencache.Token, error) {
				calls.Add(1)
				close(started)
				time.Sleep(fetchTime)
				return tokencache.Token{Value: "v", ExpiresAt: c.Now().Add(time.Hour)}, nil
			}
			ctx, cancel := context.WithCancel(context.Background())
			leader := make(chan error, 1)
			go func() { _, err := c.Get(ctx, "k", fetch); leader <- err }()
			<-started
			var wg sync.WaitGroup
			var bad atomic.Int64
			for range others {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if tok, err := c.Get(context.Background(), "k", fetch); err != nil || tok.Value != "v" {
						bad.Add(1)
					}
				}()
			}
			time.Sleep(5 * time.Millisecond)
			t0 := time.Now()
			cancel()
			if err := <-leader; !errors.Is(err, context.Canceled) {
				b.Fatalf("leader got %v", err)
			}
			lag += time.Since(t0)
			wg.Wait()
			if bad.Load() > 0 {
				b.Fatal("a waiting caller failed after the leader cancelled")
			}
			c.Close()
		}
		b.ReportMetric(float64(lag.Microseconds())/float64(b.N), "leader-return-µs")
		b.ReportMetric(float64(calls.Load())/float64(b.N), "upstream-calls/op")
	})
	b.Run("impl=oauth2.ReuseTokenSource", func(b *testing.B) {
		var calls atomic.Int64
		var lag time.Duration
		for range b.N {
			started := make(chan struct{})
			ts := oauth2.ReuseTokenSource(nil, oauthSrc(func() (*oauth2.Token, error) {
				calls.Add(1)
				close(started)
				time.Sleep(fetchTime)
				return &oauth2.Token{AccessToken: "v", Expiry: time.Now().Add(time.Hour)}, nil
			}))
			leader := make(chan error, 1)
			go func() { _, err := ts.Token(); leader <- err }()
			<-started
			time.Sleep(5 * time.Millisecond)
			t0 := time.Now() // the "cancel": nothing to tell
			<-leader
			lag += time.Since(t0)
		}
		b.ReportMetric(float64(lag.Microseconds())/float64(b.N), "leader-return-µs")
		b.ReportMetric(float64(calls.Load())/float64(b.N), "upstream-calls/op")
	})
}

// Near-expiry herd: 10,000 callers arrive while the cached token is inside
// the refresh window; the refresh takes 20 ms. Reports callers that had to
// wait for it. oauth2 refreshes only at its expiry delta, under its mutex.
func BenchmarkNearExpiryHerd(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=tokencache", func(b *testing.B) {
		var calls, blocked int64
		var makespan time.Duration
		for range b.N {
			var now atomic.Pointer[time.Time]
			t0 := time.Now()
			now.Store(&t0)
			clock := func() time.Time { return *now.Load() }
			c := tokencache.New(tokencache.WithClock(clock))
			var n atomic.Int64
			fetch := func(context.Context) (tokencache.Token, error) {
				if n.Add(1) > 1 {
					time.Sleep(fetchTime)
				}
				return tokencache.Token{Value: "v", ExpiresAt: clock().Add(time.Hour)}, nil
			}
			if _, err := c.Get(ctx, "k", fetch); err != nil {
				b.Fatal(err)
			}
			later := t0.Add(57 * time.Minute) // 3 min left: stale
			now.Store(&later)
			before := c.Stats()
			makespan += herd(b, herdSize, func() error {
				_, err := c.Get(ctx, "k", fetch)
				return err
			})
			after := c.Stats()
			blocked += int64(after.Misses - before.Misses)
			for n.Load() < 2 {
				time.Sleep(time.Millisecond)
			}
			c.Close()
			calls += n.Load() - 1
		}
		reportMakespan(b, makespan)
		b.ReportMetric(float64(blocked)/float64(b.N), "blocked/op")
		b.ReportMetric(float64(calls)/float64(b.N), "upstream-calls/op")
	})
	b.Run("impl=oauth2.ReuseTokenSource", func(b *testing.B) {
		var calls, blocked atomic.Int64
		var makespan time.Duration
		for range b.N {
			var n atomic.Int64
			src := oauthSrc(func() (*oauth2.Token, error) {
				if n.Add(1) == 1 {
					// 5 s left: inside oauth2's 10 s expiry delta on the next call
					return &oauth2.Token{AccessToken: "v", Expiry: time.Now().Add(5 * time.Second)}, nil
				}
				time.Sleep(fetchTime)
				return &oauth2.Token{AccessToken: "v", Expiry: time.Now().Add(time.Hour)}, nil
			})
			ts := oauth2.ReuseTokenSource(nil, src)
			_, _ = ts.Token()
			makespan += herd(b, herdSize, func() error {
				t0 := time.Now()
				_, err := ts.Token()
				if time.Since(t0) >= fetchTime/2 {
					blocked.Add(1)
				}
				return err
			})
			calls.Add(n.Load() - 1)
		}
		reportMakespan(b, makespan)
		b.ReportMetric(float64(blocked.Load())/float64(b.N), "blocked/op")
		b.ReportMetric(float64(calls.Load())/float64(b.N), "upstream-calls/op")
	})
}

// Memory: bytes the heap grows by per cached key (key string of 40 bytes,
// token value of 32 bytes, entry, item, its two timers and the map node),
// the smallest over b.N runs.
func BenchmarkEntryMemory(b *testing.B) {
	const n = 10_000
	ctx := context.Background()
	var perEntry float64
	for range b.N {
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("cartevo:%032x", i)
		}
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		c := tokencache.New(tokencache.WithMaxEntries(n))
		for i, k := range keys {
			v := fmt.Sprintf("%032d", i)
			if _, err := c.Get(ctx, k, func(context.Context) (tokencache.Token, error) {
				return tokencache.Token{Value: v, Type: "Bearer", ExpiresAt: time.Now().Add(time.Hour)}, nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		// Garbage made by other goroutines meanwhile only ever adds to the
		// delta, so the smallest of the runs is the closest to the truth.
		if d := float64(m1.HeapAlloc-m0.HeapAlloc) / n; perEntry == 0 || d < perEntry {
			perEntry = d
		}
		c.Close()
		runtime.KeepAlive(keys)
	}
	b.ReportMetric(perEntry, "bytes/entry")
}
