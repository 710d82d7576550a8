package checkoutkitotel_test

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/checkoutkit/checkoutkit/checkoutkitotel"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// BenchmarkHit runs the two hit paths, Get and Source.Token, with
// instrumentation off and on in one run: README's Observability section
// gives the ratio.
func BenchmarkHit(b *testing.B) {
	fetch := func(context.Context) (tokencache.Token, error) {
		return tokencache.Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	for _, mode := range []string{"off", "on"} {
		c := tokencache.New()
		if mode == "on" {
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
			tp := sdktrace.NewTracerProvider()
			if err := checkoutkitotel.InstrumentMetrics(c, checkoutkitotel.WithMeterProvider(mp)); err != nil {
				b.Fatal(err)
			}
			if err := checkoutkitotel.InstrumentTracing(c, checkoutkitotel.WithTracerProvider(tp)); err != nil {
				b.Fatal(err)
			}
		}
		ctx := context.Background()
		src := c.Source("k", fetch)
		if _, err := src.Token(ctx); err != nil {
			b.Fatal(err)
		}
		b.Run("path=get/otel="+mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = c.Get(ctx, "k", fetch)
			}
		})
		b.Run("path=source/otel="+mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = src.Token(ctx)
			}
		})
		b.Run("path=source-parallel/otel="+mode, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, _ = src.Token(ctx)
				}
			})
		})
		c.Close()
	}
}
