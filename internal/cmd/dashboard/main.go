// Command dashboard draws the README's picture of what a dashboard shows
// for a token cache: it runs a small workload on the in-process fakes with
// checkoutkitotel's metrics on, reads the metrics once a second, and prints
// each panel's series as benchmark lines that benchplot draws:
//
//	go run ./internal/cmd/dashboard -seconds 40 > dash.txt
//	go run ./internal/cmd/benchplot -in dash.txt -match Mints -linear -xlabel seconds -metric mints/s -title "mints per second, per provider" -out docs/dashboard-mints.png
//	go run ./internal/cmd/benchplot -in dash.txt -match Failures -linear -xlabel seconds -metric failures/s -title "failed fetches per second, per provider" -out docs/dashboard-failures.png
//	go run ./internal/cmd/benchplot -in dash.txt -match P99 -linear -xlabel seconds -metric ms -title "p99 mint latency, per provider" -out docs/dashboard-p99.png
//
// The workload: Crovver checkouts for a growing set of tenants (a new
// one every 400 ms; each tenant's first checkout costs a mint, the rest
// hit), Alternative Payments checkout tokens for a new invoice every
// 400 ms, and Cartevo's 3-second access token on every request, whose fake
// answers 503 to token requests for five seconds a third of the way in and
// slows from 15 to 60 ms two thirds of the way in.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/checkoutkitotel"
	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

func main() {
	seconds := flag.Int("seconds", 40, "how long the workload runs")
	flag.Parse()
	if err := run(context.Background(), *seconds, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
		os.Exit(1)
	}
}

// sample is one provider's cumulative fetch histogram at one instant.
type sample struct {
	mints, failures uint64
	bounds          []float64
	buckets         []uint64 // cumulative per bucket, mints and failures together
}

func run(ctx context.Context, seconds int, out io.Writer) error {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	cache := tokencache.New(tokencache.WithBackoff(500*time.Millisecond, time.Second))
	defer cache.Close()
	if err := checkoutkitotel.InstrumentMetrics(cache, checkoutkitotel.WithMeterProvider(mp)); err != nil {
		return err
	}

	cf := cartevotest.NewServer(cartevotest.WithExpiresIn(3 * time.Second))
	defer cf.Close()
	cf.SetDelay(15 * time.Millisecond)
	crf := crovvertest.NewServer()
	defer crf.Close()
	af := altpaytest.NewServer()
	defer af.Close()
	cv, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(cf.URL()), cartevo.WithCache(cache), cartevo.WithMaxAttempts(1))
	if err != nil {
		return err
	}
	defer cv.Close()
	cr, err := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(crf.URL()), crovver.WithCache(cache))
	if err != nil {
		return err
	}
	defer cr.Close()
	ap, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(af.URL()), altpay.WithCache(cache))
	if err != nil {
		return err
	}
	defer ap.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	prev := map[string]sample{}
	for n := 1; ; n++ {
		<-tick.C
		elapsed := time.Since(start)
		third := time.Duration(seconds) * time.Second / 3
		switch {
		case elapsed > third && elapsed < third+5*time.Second && n%5 == 0:
			cf.FailNext(503) // about as fast as the backed-off key asks
		case elapsed > 2*third:
			cf.SetDelay(60 * time.Millisecond)
		}
		for range 20 {
			_, _ = cv.AccessToken(ctx) // errors are what the dashboard shows
			_, _ = cr.CheckoutToken(ctx, crovver.CheckoutTokenRequest{
				ExternalTenantID: fmt.Sprintf("tenant-%d", rng.IntN(n/4+1)), ReturnURL: "https://shop.example/return",
			})
		}
		if n%4 == 0 { // the fake allows 5 requests a second
			_, _ = ap.CheckoutToken(ctx, altpay.CheckoutTokenRequest{CustomerID: "cus_dash", InvoiceID: fmt.Sprintf("inv_%d", n)})
		}
		if n%10 != 0 {
			continue
		}
		now, err := collect(ctx, reader)
		if err != nil {
			return err
		}
		sec := n / 10
		for _, p := range sortedKeys(now) {
			cur, old := now[p], prev[p]
			fmt.Fprintf(out, "BenchmarkDashboardMints/t=%d/provider=%s 1 %d mints/s\n", sec, p, cur.mints-old.mints)
			fmt.Fprintf(out, "BenchmarkDashboardFailures/t=%d/provider=%s 1 %d failures/s\n", sec, p, cur.failures-old.failures)
			if q, ok := p99(cur, old); ok {
				fmt.Fprintf(out, "BenchmarkDashboardP99/t=%d/provider=%s 1 %.1f ms\n", sec, p, q*1000)
			}
		}
		prev = now
		if sec >= seconds {
			return nil
		}
	}
}

// collect reads the fetch-duration histogram per provider.
func collect(ctx context.Context, r *sdkmetric.ManualReader) (map[string]sample, error) {
	var rm metricdata.ResourceMetrics
	if err := r.Collect(ctx, &rm); err != nil {
		return nil, err
	}
	out := map[string]sample{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			h, ok := m.Data.(metricdata.Histogram[float64])
			if m.Name != "checkoutkit.token.fetch.duration" || !ok {
				continue
			}
			for _, dp := range h.DataPoints {
				p, _ := dp.Attributes.Value(checkoutkitotel.AttrProvider)
				src, _ := dp.Attributes.Value(checkoutkitotel.AttrSource)
				_, failed := dp.Attributes.Value(checkoutkitotel.AttrErrorType)
				if src.AsString() != tokencache.SourceProvider {
					continue
				}
				s := out[p.AsString()]
				if failed {
					s.failures += dp.Count
				} else {
					s.mints += dp.Count
				}
				s.bounds = dp.Bounds
				if s.buckets == nil {
					s.buckets = make([]uint64, len(dp.BucketCounts))
				}
				for i, c := range dp.BucketCounts {
					s.buckets[i] += c
				}
				out[p.AsString()] = s
			}
		}
	}
	return out, nil
}

// p99 estimates the 99th percentile of the fetches between old and cur,
// interpolating inside the bucket it falls in (as PromQL's
// histogram_quantile does).
func p99(cur, old sample) (float64, bool) {
	counts := make([]uint64, len(cur.buckets))
	var total uint64
	for i := range counts {
		counts[i] = cur.buckets[i]
		if i < len(old.buckets) {
			counts[i] -= old.buckets[i]
		}
		total += counts[i]
	}
	if total == 0 {
		return 0, false
	}
	rank := math.Ceil(0.99 * float64(total))
	var seen uint64
	for i, c := range counts {
		if float64(seen+c) >= rank {
			lo, hi := 0.0, cur.bounds[len(cur.bounds)-1]
			if i > 0 {
				lo = cur.bounds[i-1]
			}
			if i < len(cur.bounds) {
				hi = cur.bounds[i]
			}
			return lo + (hi-lo)*(rank-float64(seen))/float64(c), true
		}
		seen += c
	}
	return cur.bounds[len(cur.bounds)-1], true
}

func sortedKeys(m map[string]sample) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
