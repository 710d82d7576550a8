package checkoutkitotel_test

import (
	"context"
	"fmt"
	"log"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/checkoutkitotel"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// Instrument a cache shared by a provider client, then read its metrics.
// In production the MeterProvider would export to Prometheus or OTLP.
func ExampleInstrumentMetrics() {
	fake := cartevotest.NewServer()
	defer fake.Close()

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	cache := tokencache.New()
	defer cache.Close()
	if err := checkoutkitotel.InstrumentMetrics(cache, checkoutkitotel.WithMeterProvider(mp)); err != nil {
		log.Fatal(err)
	}
	client, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey,
		cartevo.WithBaseURL(fake.URL()), cartevo.WithCache(cache))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	for range 3 {
		if _, err := client.AccessToken(context.Background()); err != nil {
			log.Fatal(err)
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name == "checkoutkit.token.requests" {
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				result, _ := dp.Attributes.Value("checkoutkit.token.result")
				fmt.Printf("%s %d\n", result.AsString(), dp.Value)
			}
		}
	}
	// Unordered output:
	// fresh 2
	// stale 0
	// miss 1
}
