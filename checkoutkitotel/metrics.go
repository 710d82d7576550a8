package checkoutkitotel

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// InstrumentMetrics reports c's metrics (see the package documentation)
// to the MeterProvider of [WithMeterProvider], or otel's global one. Call
// it once per cache.
func InstrumentMetrics(c *tokencache.Cache, opts ...Option) error {
	if c == nil {
		return errNilCache
	}
	cfg := newConfig(opts)
	m := cfg.mp.Meter(ScopeName, metric.WithInstrumentationVersion(checkoutkit.Version))
	o := &metricsObserver{base: cfg.attrs}
	var (
		errs                         [7]error
		requests, fetches, evictions metric.Int64ObservableCounter
		entries                      metric.Int64ObservableUpDownCounter
	)
	o.fetchDur, errs[0] = m.Float64Histogram("checkoutkit.token.fetch.duration",
		metric.WithUnit("s"), metric.WithDescription("How long a token fetch took, from the provider or the Store."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
	o.lifetime, errs[1] = m.Float64Histogram("checkoutkit.token.lifetime",
		metric.WithUnit("s"), metric.WithDescription("The lifetime a provider granted a minted token."),
		metric.WithExplicitBucketBoundaries(60, 300, 600, 1800, 3600, 7200, 21600, 86400, 604800))
	o.storeDur, errs[2] = m.Float64Histogram("checkoutkit.store.operation.duration",
		metric.WithUnit("s"), metric.WithDescription("How long a shared Store operation took."),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1))
	requests, errs[3] = m.Int64ObservableCounter("checkoutkit.token.requests",
		metric.WithUnit("{request}"), metric.WithDescription("Token requests, by how the cache answered them."))
	fetches, errs[4] = m.Int64ObservableCounter("checkoutkit.token.fetches",
		metric.WithUnit("{fetch}"), metric.WithDescription("Token fetches, by source and outcome."))
	entries, errs[5] = m.Int64ObservableUpDownCounter("checkoutkit.token.cache.entries",
		metric.WithUnit("{entry}"), metric.WithDescription("Keys the cache holds."))
	evictions, errs[6] = m.Int64ObservableCounter("checkoutkit.token.evictions",
		metric.WithUnit("{entry}"), metric.WithDescription("Entries evicted to respect the cache's bound."))
	if err := errors.Join(errs[:]...); err != nil {
		return err
	}

	set := func(kv ...attribute.KeyValue) metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(append(kv, cfg.attrs...)...))
	}
	var (
		fresh, stale, miss       = set(AttrResult.String("fresh")), set(AttrResult.String("stale")), set(AttrResult.String("miss"))
		mintOK, storeOK, mintErr = set(AttrSource.String(tokencache.SourceProvider), AttrOutcome.String("ok")),
			set(AttrSource.String(tokencache.SourceStore), AttrOutcome.String("ok")),
			set(AttrSource.String(tokencache.SourceProvider), AttrOutcome.String("error"))
		plain = set()
	)
	_, err := m.RegisterCallback(func(_ context.Context, ob metric.Observer) error {
		s := c.Stats()
		ob.ObserveInt64(requests, int64(s.Hits), fresh)
		ob.ObserveInt64(requests, int64(s.StaleHits), stale)
		ob.ObserveInt64(requests, int64(s.Misses), miss)
		ob.ObserveInt64(fetches, int64(s.Mints), mintOK)
		ob.ObserveInt64(fetches, int64(s.StoreHits), storeOK)
		ob.ObserveInt64(fetches, int64(s.Failures), mintErr)
		ob.ObserveInt64(entries, int64(s.Entries), plain)
		ob.ObserveInt64(evictions, int64(s.Evictions), plain)
		return nil
	}, requests, fetches, entries, evictions)
	if err != nil {
		return err
	}
	c.AddObserver(o)
	return nil
}

// metricsObserver records the histograms the Observer feeds.
type metricsObserver struct {
	tokencache.NopObserver
	base                         []attribute.KeyValue
	fetchDur, lifetime, storeDur metric.Float64Histogram
}

func (o *metricsObserver) attrs(kv ...attribute.KeyValue) metric.MeasurementOption {
	return metric.WithAttributes(append(kv, o.base...)...)
}

func (o *metricsObserver) FetchEnd(ctx context.Context, f tokencache.FetchInfo, r tokencache.FetchResult) {
	kv := []attribute.KeyValue{provider(f.Provider), AttrReason.String(f.Reason), AttrSource.String(r.Source)}
	if r.Err != nil {
		kv = append(kv, AttrErrorType.String(ErrorType(r.Err)))
	}
	o.fetchDur.Record(ctx, r.Duration.Seconds(), o.attrs(kv...))
	if r.Err == nil && r.Source == tokencache.SourceProvider {
		o.lifetime.Record(ctx, r.Lifetime.Seconds(), o.attrs(provider(f.Provider)))
	}
}

func (o *metricsObserver) Event(e tokencache.Event) {
	if e.Kind != tokencache.EventStore {
		return
	}
	kv := []attribute.KeyValue{AttrStoreOp.String(e.Op)}
	if e.Err != nil {
		kv = append(kv, AttrErrorType.String(ErrorType(e.Err)))
	}
	o.storeDur.Record(context.Background(), e.Duration.Seconds(), o.attrs(kv...))
}
