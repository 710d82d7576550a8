package main

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/checkoutkit/checkoutkit/checkoutkitotel"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// setupMetrics gives the app one token cache, shared by its three provider
// clients and instrumented with checkoutkitotel, and a /metrics handler in
// Prometheus' text format. A real app would serve /metrics on an internal
// port only.
func (a *App) setupMetrics() error {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	a.cache = tokencache.New(tokencache.WithLogger(a.logger), tokencache.WithClock(a.clock))
	a.closers = append(a.closers, func() {
		a.cache.Close()
		_ = mp.Shutdown(context.Background())
	})
	if err := checkoutkitotel.InstrumentMetrics(a.cache, checkoutkitotel.WithMeterProvider(mp)); err != nil {
		return err
	}
	a.registry = reg
	a.metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return nil
}

// Metrics serves the app's metrics, as GET /metrics does.
func (a *App) Metrics() http.Handler { return a.metrics }
