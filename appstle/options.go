package appstle

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/provider"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// Option configures a [Client].
type Option func(*options)

type options struct{ provider.Settings }

// WithBaseURL sets Appstle's API host (default [DefaultBaseURL]). It must
// be https, or http for a loopback host.
func WithBaseURL(u string) Option { return func(o *options) { o.BaseURL = u } }

// WithHTTPClient sets the HTTP client used for every call. It is copied,
// never modified.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.HTTPClient = hc } }

// WithCache shares c between clients (of any provider). Keys hold only
// hashes of the API key and the customer id or email.
func WithCache(c *tokencache.Cache) Option { return func(o *options) { o.Cache = c } }

// WithLogger logs request metadata (method, host, path, attempt; never the
// query, which may hold an email) and cache events to l. Default: none.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.Logger = l } }

// WithMaxAttempts sets how many times a request is tried in all (default 3)
// on a network error, 429 or 5xx.
func WithMaxAttempts(n int) Option { return func(o *options) { o.MaxAttempts = n } }

// WithMaxRetryAfter caps how long a call waits on a Retry-After before
// retrying (default 5 s); a longer one returns an [APIError] at once.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(o *options) { o.MaxRetryAfter = d }
}

// WithRetryWait sets the backoff between tries: full jitter, exponential
// from min up to max (defaults 100 ms and 2 s). A Retry-After the provider
// sends (up to WithMaxRetryAfter) wins when longer.
func WithRetryWait(min, max time.Duration) Option {
	return func(o *options) { o.MinWait, o.MaxWait = min, max }
}
