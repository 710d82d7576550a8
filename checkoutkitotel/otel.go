package checkoutkitotel

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// ScopeName is the instrumentation scope of every meter and tracer this
// package creates; its version is [checkoutkit.Version].
const ScopeName = "github.com/checkoutkit/checkoutkit/checkoutkitotel"

// Attribute keys, as the package documentation lists them.
const (
	AttrProvider    = attribute.Key("checkoutkit.provider")
	AttrReason      = attribute.Key("checkoutkit.fetch.reason")
	AttrSource      = attribute.Key("checkoutkit.fetch.source")
	AttrOutcome     = attribute.Key("checkoutkit.fetch.outcome")
	AttrResult      = attribute.Key("checkoutkit.token.result")
	AttrStoreOp     = attribute.Key("checkoutkit.store.operation")
	AttrErrorType   = attribute.Key("error.type")
	fetchSpanName   = "checkoutkit.token.fetch"
	unknownProvider = "unknown"
)

// Option configures [InstrumentMetrics] and [InstrumentTracing].
type Option func(*config)

type config struct {
	mp    metric.MeterProvider
	tp    trace.TracerProvider
	attrs []attribute.KeyValue
}

// WithMeterProvider sets the MeterProvider; the default is otel's global
// one (otel.GetMeterProvider at the time of the call). nil keeps it.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) {
		if mp != nil {
			c.mp = mp
		}
	}
}

// WithTracerProvider sets the TracerProvider; the default is otel's global
// one (otel.GetTracerProvider at the time of the call). nil keeps it.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) {
		if tp != nil {
			c.tp = tp
		}
	}
}

// WithAttributes adds attrs to every measurement and span, for instance
// to tell two caches apart. They must carry no secret or personal data.
func WithAttributes(attrs ...attribute.KeyValue) Option {
	return func(c *config) { c.attrs = append(c.attrs, attrs...) }
}

func newConfig(opts []Option) *config {
	c := &config{mp: otel.GetMeterProvider(), tp: otel.GetTracerProvider()}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

var errNilCache = errors.New("checkoutkitotel: nil *tokencache.Cache")

// ErrorType is the error.type a failed fetch or Store operation is
// reported with: "unauthorized", "rate_limited", "timeout",
// "context_canceled", "unexpected_response", "not_found",
// "invalid_request", "response_too_large", "environment" (a token's mode
// does not allow the action, see checkoutkit.ErrEnvironment),
// "invalid_token", "closed", "server_error" (a 5xx) or "_OTHER". It never
// includes the error's message.
func ErrorType(err error) string {
	var api *checkoutkit.APIError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "context_canceled"
	case errors.Is(err, tokencache.ErrClosed):
		return "closed"
	case errors.Is(err, tokencache.ErrInvalidToken):
		return "invalid_token"
	case errors.Is(err, checkoutkit.ErrEnvironment):
		return "environment"
	case errors.Is(err, checkoutkit.ErrUnauthorized):
		return "unauthorized"
	case errors.Is(err, checkoutkit.ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, checkoutkit.ErrNotFound):
		return "not_found"
	case errors.Is(err, checkoutkit.ErrResponseTooLarge):
		return "response_too_large"
	case errors.Is(err, checkoutkit.ErrUnexpectedResponse):
		return "unexpected_response"
	case errors.Is(err, checkoutkit.ErrInvalidRequest):
		return "invalid_request"
	case errors.As(err, &api) && api.StatusCode >= 500:
		return "server_error"
	}
	return "_OTHER"
}

func provider(name string) attribute.KeyValue {
	if name == "" {
		name = unknownProvider
	}
	return AttrProvider.String(name)
}
