package checkoutkitotel_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/checkoutkitotel"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// harness is an instrumented cache with a manual metric reader and a span
// recorder.
type harness struct {
	cache  *tokencache.Cache
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
}

func newHarness(t *testing.T, opts ...tokencache.Option) *harness {
	t.Helper()
	h := &harness{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	h.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans))
	h.cache = tokencache.New(opts...)
	t.Cleanup(func() {
		h.cache.Close()
		_ = mp.Shutdown(context.Background())
		_ = h.tp.Shutdown(context.Background())
	})
	require.NoError(t, checkoutkitotel.InstrumentMetrics(h.cache, checkoutkitotel.WithMeterProvider(mp),
		checkoutkitotel.WithAttributes(attribute.String("service.name", "shop"))))
	require.NoError(t, checkoutkitotel.InstrumentTracing(h.cache, checkoutkitotel.WithTracerProvider(h.tp)))
	return h
}

func (h *harness) collect(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, h.reader.Collect(context.Background(), &rm))
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, checkoutkitotel.ScopeName, sm.Scope.Name)
		assert.Equal(t, checkoutkit.Version, sm.Scope.Version)
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// sum returns the value of a Sum's data point whose attributes include kv.
func sum(t *testing.T, m metricdata.Metrics, kv ...attribute.KeyValue) int64 {
	t.Helper()
	s, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is not an int64 sum", m.Name)
	var total int64
	for _, dp := range s.DataPoints {
		if has(dp.Attributes, kv...) {
			total += dp.Value
		}
	}
	return total
}

// histCount counts the observations of a histogram's points with kv.
func histCount(t *testing.T, m metricdata.Metrics, kv ...attribute.KeyValue) uint64 {
	t.Helper()
	if m.Data == nil { // no observation yet
		return 0
	}
	hd, ok := m.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "%s is not a float64 histogram", m.Name)
	var n uint64
	for _, dp := range hd.DataPoints {
		if has(dp.Attributes, kv...) {
			n += dp.Count
		}
	}
	return n
}

func has(set attribute.Set, kv ...attribute.KeyValue) bool {
	for _, want := range kv {
		if got, ok := set.Value(want.Key); !ok || got != want.Value {
			return false
		}
	}
	return true
}

// spanTransport starts a client span per round trip, as otelhttp does.
type spanTransport struct {
	tracer trace.Tracer
	base   http.RoundTripper
}

func (s spanTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, span := s.tracer.Start(r.Context(), "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	return s.base.RoundTrip(r.WithContext(ctx))
}

func TestProviderClientOnAnInstrumentedCache(t *testing.T) {
	fake := cartevotest.NewServer()
	defer fake.Close()
	h := newHarness(t)
	hc := &http.Client{Transport: spanTransport{tracer: h.tp.Tracer("http"), base: http.DefaultTransport.(*http.Transport).Clone()}}
	client, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey,
		cartevo.WithBaseURL(fake.URL()), cartevo.WithCache(h.cache), cartevo.WithHTTPClient(hc))
	require.NoError(t, err)
	defer client.Close()
	hc.CloseIdleConnections()

	ctx, parent := h.tp.Tracer("app").Start(context.Background(), "request")
	// A failed mint (a 400 is not retried and starts no backoff).
	fake.FailNext(http.StatusBadRequest)
	_, err = client.AccessToken(ctx)
	require.Error(t, err)
	// A mint, then three hits.
	first, err := client.AccessToken(ctx)
	require.NoError(t, err)
	for range 3 {
		_, err = client.AccessToken(ctx)
		require.NoError(t, err)
	}
	// A 401 from another endpoint: invalidate, re-mint, retry once.
	fake.RevokeTokens(cartevotest.ClientID)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, client.URL("/wallets"), nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parent.End()

	m := h.collect(t)
	svc := attribute.String("service.name", "shop")
	// Fresh: three AccessToken hits and the 401's first attempt.
	assert.EqualValues(t, 4, sum(t, m["checkoutkit.token.requests"], attribute.String("checkoutkit.token.result", "fresh"), svc))
	assert.EqualValues(t, 3, sum(t, m["checkoutkit.token.requests"], attribute.String("checkoutkit.token.result", "miss")))
	assert.EqualValues(t, 2, sum(t, m["checkoutkit.token.fetches"], attribute.String("checkoutkit.fetch.source", "provider"), attribute.String("checkoutkit.fetch.outcome", "ok")))
	assert.EqualValues(t, 1, sum(t, m["checkoutkit.token.fetches"], attribute.String("checkoutkit.fetch.outcome", "error")))
	assert.EqualValues(t, 0, sum(t, m["checkoutkit.token.fetches"], attribute.String("checkoutkit.fetch.source", "store")))
	assert.EqualValues(t, 1, sum(t, m["checkoutkit.token.cache.entries"]))
	assert.EqualValues(t, 0, sum(t, m["checkoutkit.token.evictions"]))
	dur := m["checkoutkit.token.fetch.duration"]
	assert.Equal(t, "s", dur.Unit)
	cv := attribute.String("checkoutkit.provider", "cartevo")
	assert.EqualValues(t, 3, histCount(t, dur, cv, svc))
	assert.EqualValues(t, 1, histCount(t, dur, cv, attribute.String("checkoutkit.fetch.reason", "missing"), attribute.String("error.type", "invalid_request")))
	assert.EqualValues(t, 1, histCount(t, dur, cv, attribute.String("checkoutkit.fetch.reason", "invalidated"), attribute.String("checkoutkit.fetch.source", "provider")))
	life := m["checkoutkit.token.lifetime"]
	assert.EqualValues(t, 2, histCount(t, life, cv))
	lh := life.Data.(metricdata.Histogram[float64])
	assert.InDelta(t, 2*3600, lh.DataPoints[0].Sum, 5, "two one-hour tokens")

	var fetchSpans []sdktrace.ReadOnlySpan
	for _, s := range h.spans.Ended() {
		if s.Name() == "checkoutkit.token.fetch" {
			fetchSpans = append(fetchSpans, s)
		}
	}
	require.Len(t, fetchSpans, 3)
	reasons := []string{}
	for _, s := range fetchSpans {
		assert.Equal(t, trace.SpanKindInternal, s.SpanKind())
		assert.Equal(t, parent.SpanContext().SpanID(), s.Parent().SpanID(), "parented to the caller that started it")
		attrs := attribute.NewSet(s.Attributes()...)
		assert.True(t, has(attrs, cv, attribute.String("checkoutkit.fetch.source", "provider")))
		r, _ := attrs.Value("checkoutkit.fetch.reason")
		reasons = append(reasons, r.AsString())
	}
	assert.Equal(t, []string{"missing", "missing", "invalidated"}, reasons)
	assert.Equal(t, codes.Error, fetchSpans[0].Status().Code)
	errSet := attribute.NewSet(fetchSpans[0].Attributes()...)
	et, _ := errSet.Value("error.type")
	assert.Equal(t, "invalid_request", et.AsString())
	assert.Equal(t, codes.Unset, fetchSpans[1].Status().Code)

	// Each mint's HTTP attempt is a child of its fetch span; the 401 and
	// its retry are round trips of their own.
	children := map[trace.SpanID]int{}
	httpSpans := 0
	for _, s := range h.spans.Ended() {
		if strings.HasPrefix(s.Name(), "HTTP ") {
			httpSpans++
			children[s.Parent().SpanID()]++
		}
	}
	for _, s := range fetchSpans {
		assert.Equal(t, 1, children[s.SpanContext().SpanID()], "one token request under each fetch")
	}
	assert.Equal(t, 2, children[parent.SpanContext().SpanID()], "the 401 and its retry")
	assert.Equal(t, 5, httpSpans)

	noSecrets(t, h, first.Value)
}

// noSecrets scans every exported attribute for the credentials and token.
func noSecrets(t *testing.T, h *harness, token string) {
	t.Helper()
	var all []string
	for _, s := range h.spans.Ended() {
		for _, kv := range s.Attributes() {
			all = append(all, string(kv.Key)+"="+kv.Value.Emit())
		}
		all = append(all, s.Status().Description)
	}
	for _, m := range h.collect(t) {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, dp := range d.DataPoints {
				all = append(all, dp.Attributes.Encoded(attribute.DefaultEncoder()))
			}
		case metricdata.Histogram[float64]:
			for _, dp := range d.DataPoints {
				all = append(all, dp.Attributes.Encoded(attribute.DefaultEncoder()))
			}
		}
	}
	joined := strings.Join(all, "\n")
	for _, secret := range []string{cartevotest.ClientKey, cartevotest.ClientID, token, "cartevo:"} {
		assert.NotContains(t, joined, secret)
	}
}

// memStore is the smallest Store: a map and a lock table.
type memStore struct {
	mu      sync.Mutex
	entries map[string]tokencache.Entry
	fail    bool
}

var errDown = &checkoutkit.APIError{StatusCode: 503}

func (s *memStore) Load(_ context.Context, key string) (tokencache.Entry, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return tokencache.Entry{}, false, errDown
	}
	e, ok := s.entries[key]
	return e, ok, nil
}

func (s *memStore) Save(_ context.Context, key string, e tokencache.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries[key] = e
	return nil
}

func (s *memStore) Delete(context.Context, string, tokencache.Token) error { return nil }

func (s *memStore) TryLock(context.Context, string, time.Duration) (func(context.Context) error, bool, error) {
	return func(context.Context) error { return nil }, true, nil
}

func TestStoreOperationsAndStoreFetches(t *testing.T) {
	st := &memStore{entries: map[string]tokencache.Entry{}}
	a := newHarness(t, tokencache.WithStore(st))
	b := newHarness(t, tokencache.WithStore(st))
	fetch := func(context.Context) (tokencache.Token, error) {
		return tokencache.Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	f := tokencache.Fetcher{Provider: "altpay", Fetch: fetch}
	_, err := a.cache.GetWith(context.Background(), "k", f)
	require.NoError(t, err)
	_, err = b.cache.GetWith(context.Background(), "k", f)
	require.NoError(t, err)

	ma, mb := a.collect(t), b.collect(t)
	ops := ma["checkoutkit.store.operation.duration"]
	for op, n := range map[string]uint64{"load": 2, "lock": 2, "save": 1, "delete": 0} {
		assert.EqualValues(t, n, histCount(t, ops, attribute.String("checkoutkit.store.operation", op)), op)
	}
	assert.EqualValues(t, 1, sum(t, mb["checkoutkit.token.fetches"], attribute.String("checkoutkit.fetch.source", "store"), attribute.String("checkoutkit.fetch.outcome", "ok")))
	assert.EqualValues(t, 0, sum(t, mb["checkoutkit.token.fetches"], attribute.String("checkoutkit.fetch.source", "provider")))
	assert.EqualValues(t, 0, histCount(t, mb["checkoutkit.token.lifetime"]), "a token from the Store was not minted")
	assert.EqualValues(t, 1, histCount(t, mb["checkoutkit.token.fetch.duration"], attribute.String("checkoutkit.fetch.source", "store")))

	st.mu.Lock()
	st.fail = true
	st.mu.Unlock()
	_, err = a.cache.GetWith(context.Background(), "other", f)
	require.NoError(t, err)
	assert.EqualValues(t, 2, histCount(t, a.collect(t)["checkoutkit.store.operation.duration"], // before and after the lock
		attribute.String("checkoutkit.store.operation", "load"), attribute.String("error.type", "server_error")))
}

func TestWaitersLinkToTheFetch(t *testing.T) {
	h := newHarness(t)
	gate := make(chan struct{})
	var calls sync.WaitGroup
	fetch := func(ctx context.Context) (tokencache.Token, error) {
		select {
		case <-gate:
		case <-ctx.Done(): // a failed assertion below must not hang Close
			return tokencache.Token{}, ctx.Err()
		}
		return tokencache.Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	tracer := h.tp.Tracer("app")
	var callers []trace.Span
	var mu sync.Mutex
	for i := range 4 {
		ctx, span := tracer.Start(context.Background(), "caller")
		mu.Lock()
		callers = append(callers, span)
		mu.Unlock()
		calls.Go(func() {
			_, err := h.cache.Get(ctx, "k", fetch)
			assert.NoError(t, err)
		})
		if i == 0 {
			require.Eventually(t, func() bool { return h.cache.Stats().Misses == 1 }, 5*time.Second, time.Millisecond)
		}
	}
	require.Eventually(t, func() bool { return h.cache.Stats().Misses == 4 }, 5*time.Second, time.Millisecond)
	time.Sleep(10 * time.Millisecond) // the last waiter reaches its wait
	close(gate)
	calls.Wait()
	for _, s := range callers {
		s.End()
	}
	var fetchSpan sdktrace.ReadOnlySpan
	links := 0
	for _, s := range h.spans.Ended() {
		switch s.Name() {
		case "checkoutkit.token.fetch":
			fetchSpan = s
		case "caller":
			links += len(s.Links())
		}
	}
	require.NotNil(t, fetchSpan)
	assert.Equal(t, callers[0].SpanContext().SpanID(), fetchSpan.Parent().SpanID())
	assert.Equal(t, 3, links, "each waiter links to the fetch it waited on")
	for _, s := range h.spans.Ended() {
		for _, l := range s.Links() {
			assert.Equal(t, fetchSpan.SpanContext().SpanID(), l.SpanContext.SpanID())
		}
	}
}

func TestNilCache(t *testing.T) {
	assert.Error(t, checkoutkitotel.InstrumentMetrics(nil))
	assert.Error(t, checkoutkitotel.InstrumentTracing(nil))
}

func TestErrorType(t *testing.T) {
	for want, err := range map[string]error{
		"unauthorized":        &checkoutkit.APIError{StatusCode: 401},
		"rate_limited":        &checkoutkit.APIError{StatusCode: 429},
		"server_error":        &checkoutkit.APIError{StatusCode: 502},
		"timeout":             context.DeadlineExceeded,
		"context_canceled":    context.Canceled,
		"unexpected_response": checkoutkit.ErrUnexpectedResponse,
		"closed":              tokencache.ErrClosed,
		"invalid_token":       tokencache.ErrInvalidToken,
		"environment":         checkoutkit.ErrEnvironment,
		"_OTHER":              assert.AnError,
	} {
		assert.Equal(t, want, checkoutkitotel.ErrorType(err))
	}
	assert.Empty(t, checkoutkitotel.ErrorType(nil))
}

// A hit allocates nothing and calls no observer with metrics and tracing
// on, for Get and for a Source.
func TestInstrumentedHitAllocatesNothing(t *testing.T) {
	h := newHarness(t)
	fetch := func(context.Context) (tokencache.Token, error) {
		return tokencache.Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	ctx := context.Background()
	_, err := h.cache.Get(ctx, "k", fetch)
	require.NoError(t, err)
	src := h.cache.Source("k", fetch)
	_, err = src.Token(ctx)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = h.cache.Get(ctx, "k", fetch)
		_, _ = src.Token(ctx)
	})
	assert.Zero(t, allocs)
	assert.Len(t, h.spans.Ended(), 1, "one fetch span, none for the hits")
}

// spanningObserver is another observer that, as a user's own tracing
// might, starts a span of its own around each fetch.
type spanningObserver struct {
	tokencache.NopObserver
	tracer trace.Tracer
}

func (o spanningObserver) FetchStart(ctx context.Context, _ tokencache.FetchInfo) context.Context {
	ctx, _ = o.tracer.Start(ctx, "app.fetch")
	return ctx
}

func (o spanningObserver) FetchEnd(ctx context.Context, _ tokencache.FetchInfo, _ tokencache.FetchResult) {
	trace.SpanFromContext(ctx).End()
}

// A waiter links to checkoutkit.token.fetch, also when an observer
// attached after this package's starts a span of its own: the fetch's
// context then carries that span, not the fetch span.
func TestWaiterLinksToTheFetchSpanBehindAnotherObserver(t *testing.T) {
	h := newHarness(t)
	h.cache.AddObserver(spanningObserver{tracer: h.tp.Tracer("app")})
	gate := make(chan struct{})
	fetch := func(ctx context.Context) (tokencache.Token, error) {
		select {
		case <-gate:
		case <-ctx.Done():
			return tokencache.Token{}, ctx.Err()
		}
		return tokencache.Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	tracer := h.tp.Tracer("app")
	var calls sync.WaitGroup
	var spans []trace.Span
	for i := range 2 {
		ctx, span := tracer.Start(context.Background(), "caller")
		spans = append(spans, span)
		calls.Go(func() {
			_, err := h.cache.Get(ctx, "k", fetch)
			assert.NoError(t, err)
		})
		require.Eventually(t, func() bool { return h.cache.Stats().Misses == uint64(i+1) }, 5*time.Second, time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond) // the waiter reaches its wait
	close(gate)
	calls.Wait()
	for _, s := range spans {
		s.End()
	}
	var fetchSpan sdktrace.ReadOnlySpan
	var links []sdktrace.Link
	for _, s := range h.spans.Ended() {
		switch s.Name() {
		case "checkoutkit.token.fetch":
			fetchSpan = s
		case "caller":
			links = append(links, s.Links()...)
		}
	}
	require.NotNil(t, fetchSpan)
	require.Len(t, links, 1)
	assert.Equal(t, fetchSpan.SpanContext().SpanID(), links[0].SpanContext.SpanID(), "the link names the fetch span")
}

// panicSampler panics on the fetch span, as a buggy custom sampler might.
type panicSampler struct{}

func (panicSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	if p.Name == "checkoutkit.token.fetch" {
		panic("sampler bug")
	}
	return sdktrace.AlwaysSample().ShouldSample(p)
}

func (panicSampler) Description() string { return "panic" }

// The cache recovers an observer's panic; a fetch span that could not be
// started must not make FetchEnd end, and mark failed, the caller's span
// that the fetch's context carries instead.
func TestFetchSpanThatFailedToStartLeavesTheCallersSpanAlone(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans), sdktrace.WithSampler(panicSampler{}))
	defer tp.Shutdown(context.Background())
	c := tokencache.New()
	defer c.Close()
	require.NoError(t, checkoutkitotel.InstrumentTracing(c, checkoutkitotel.WithTracerProvider(tp)))

	ctx, caller := tp.Tracer("app").Start(context.Background(), "caller")
	_, err := c.Get(ctx, "k", func(context.Context) (tokencache.Token, error) {
		return tokencache.Token{}, assert.AnError
	})
	require.Error(t, err)
	assert.True(t, caller.IsRecording(), "the caller's span is still open")
	caller.End()
	require.Len(t, spans.Ended(), 1)
	assert.Equal(t, codes.Unset, spans.Ended()[0].Status().Code, "the caller's span is not marked failed")
}

// A closed cache stays registered with the meter provider (nothing tells
// the callback it closed), so its entries gauge must fall to 0 rather than
// count the keys it held for ever; its cumulative counters keep their last
// values, as counters must.
func TestClosedCacheCountsNoEntries(t *testing.T) {
	h := newHarness(t)
	fetch := func(context.Context) (tokencache.Token, error) {
		return tokencache.Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	for _, k := range []string{"a", "b", "c"} {
		_, err := h.cache.Get(context.Background(), k, fetch)
		require.NoError(t, err)
	}
	require.EqualValues(t, 3, sum(t, h.collect(t)["checkoutkit.token.cache.entries"]))
	require.NoError(t, h.cache.Close())
	m := h.collect(t)
	assert.EqualValues(t, 0, sum(t, m["checkoutkit.token.cache.entries"]))
	assert.EqualValues(t, 3, sum(t, m["checkoutkit.token.fetches"], checkoutkitotel.AttrOutcome.String("ok"), checkoutkitotel.AttrSource.String(tokencache.SourceProvider)))
}
