package checkoutkitotel

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// InstrumentTracing records a span for each of c's fetches (see the
// package documentation) with the TracerProvider of [WithTracerProvider],
// or otel's global one. Call it once per cache.
func InstrumentTracing(c *tokencache.Cache, opts ...Option) error {
	if c == nil {
		return errNilCache
	}
	cfg := newConfig(opts)
	c.AddObserver(&tracingObserver{
		tracer: cfg.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(checkoutkit.Version)),
		attrs:  cfg.attrs,
	})
	return nil
}

type tracingObserver struct {
	tokencache.NopObserver
	tracer trace.Tracer
	attrs  []attribute.KeyValue
}

func (o *tracingObserver) FetchStart(ctx context.Context, f tokencache.FetchInfo) context.Context {
	ctx, span := o.tracer.Start(ctx, fetchSpanName, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(append([]attribute.KeyValue{provider(f.Provider), AttrReason.String(f.Reason)}, o.attrs...)...))
	// The fetch context FetchJoin gets is the last observer's, which may
	// carry a span of its own: keep ours under a key only o knows.
	return context.WithValue(ctx, o, span)
}

func (o *tracingObserver) FetchEnd(ctx context.Context, _ tokencache.FetchInfo, r tokencache.FetchResult) {
	// Without our span (FetchStart panicked, and the cache recovered), the
	// span in ctx is the caller's: leave it alone.
	span, ok := ctx.Value(o).(trace.Span)
	if !ok {
		return
	}
	span.SetAttributes(AttrSource.String(r.Source))
	if r.Err != nil {
		typ := ErrorType(r.Err)
		span.SetAttributes(AttrErrorType.String(typ))
		span.SetStatus(codes.Error, typ)
	}
	span.End()
}

func (o *tracingObserver) FetchJoin(ctx, fetch context.Context) {
	// No span of ours when o was attached while the fetch ran.
	if span, ok := fetch.Value(o).(trace.Span); ok && span.SpanContext().IsValid() {
		trace.SpanFromContext(ctx).AddLink(trace.Link{SpanContext: span.SpanContext()})
	}
}
