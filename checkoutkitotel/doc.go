// Package checkoutkitotel reports what a [tokencache.Cache] does as
// OpenTelemetry metrics and traces, the way go-redis's redisotel reports a
// Redis client:
//
//	c := tokencache.New()
//	if err := checkoutkitotel.InstrumentMetrics(c); err != nil { … }
//	if err := checkoutkitotel.InstrumentTracing(c); err != nil { … }
//	client, err := cartevo.New(id, key, cartevo.WithCache(c))
//
// Both attach a [tokencache.Observer], which the cache calls only off its
// hit path: a hit costs the same with instrumentation as without, and
// allocates nothing. Counters are observable instruments read from
// [tokencache.Cache.Stats] in a callback at collection time.
//
// # Metrics
//
// The names below are a contract: dashboards and alerts may rely on them.
//
//	checkoutkit.token.requests            Int64ObservableCounter        {request}  checkoutkit.token.result = fresh | stale | miss
//	checkoutkit.token.fetches             Int64ObservableCounter        {fetch}    checkoutkit.fetch.source = provider | store; checkoutkit.fetch.outcome = ok | error
//	checkoutkit.token.fetch.duration      Float64Histogram              s          checkoutkit.provider, checkoutkit.fetch.reason, checkoutkit.fetch.source, error.type on failure
//	checkoutkit.token.lifetime            Float64Histogram              s          checkoutkit.provider (the lifetime a mint granted)
//	checkoutkit.token.cache.entries       Int64ObservableUpDownCounter  {entry}
//	checkoutkit.token.evictions           Int64ObservableCounter        {entry}
//	checkoutkit.store.operation.duration  Float64Histogram              s          checkoutkit.store.operation = load | save | lock | delete, error.type on failure
//
// # Traces
//
// Each fetch is one INTERNAL span named checkoutkit.token.fetch, with the
// attributes checkoutkit.provider, checkoutkit.fetch.reason and
// checkoutkit.fetch.source, and on failure status Error and error.type. A
// fetch runs detached from its callers: its span is a child of the caller
// that started it, and each caller that waited on it gets a link to it on
// its own span. A mint's token requests run on the fetch's context, so an
// otelhttp transport given through the provider's WithHTTPClient records
// each of their attempts as a child of the fetch span; a request made
// with a token, and its retry after a 401, are children of the caller's
// span (the re-mint between them is a fetch span of its own).
//
// No attribute holds a key, a token, a credential, a customer or invoice
// id, or an error message: errors are reported by type only (see
// [ErrorType]).
package checkoutkitotel
