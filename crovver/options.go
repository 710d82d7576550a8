package crovver

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

// WithBaseURL sets Crovver's host (default [DefaultBaseURL]; self-hosted
// instances use their own). It must be https, or http for a loopback host.
func WithBaseURL(u string) Option { return func(o *options) { o.BaseURL = u } }

// WithHTTPClient sets the HTTP client used for every call. It is copied,
// never modified. Default: a clone of http.DefaultTransport with a 30 s
// response-header timeout.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.HTTPClient = hc } }

// WithCache shares c between clients (of any provider). Keys include a hash
// of the base URL, public key and request, so clients never see each
// other's tokens. Without it the Client makes its own cache, closed by
// Close.
func WithCache(c *tokencache.Cache) Option { return func(o *options) { o.Cache = c } }

// WithLogger logs request metadata (method, host, path, attempt) and cache
// events to l; never a key, token or URL query. Default: none.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.Logger = l } }

// WithMaxAttempts sets how many times a request is tried in all (default
// 3) when it fails with a network error, 429 or 5xx. Minting a token twice
// is harmless, so token calls are always retried.
func WithMaxAttempts(n int) Option { return func(o *options) { o.MaxAttempts = n } }

// WithMaxRetryAfter caps how long a call waits on a Retry-After before
// retrying (default 5 s); a longer one returns an [APIError] at once.
func WithMaxRetryAfter(d time.Duration) Option { return func(o *options) { o.MaxRetryAfter = d } }

// WithoutReuse makes every CheckoutToken and PortalToken call mint a new
// token instead of reusing a fresh one minted for an identical request.
func WithoutReuse() Option { return func(o *options) { o.NoReuse = true } }

// WithRetryWait sets the backoff between tries: full jitter, exponential
// from min up to max (defaults 100 ms and 2 s). A Retry-After the provider
// sends (up to WithMaxRetryAfter) wins when longer.
func WithRetryWait(min, max time.Duration) Option {
	return func(o *options) { o.MinWait, o.MaxWait = min, max }
}
