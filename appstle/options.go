package appstle

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/provider"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// Option configures a [Client]. Options are applied in order; a nil one is
// ignored. The options every provider package shares (base URL, HTTP
// client, cache, logger, retries) read the same in all four.
type Option func(*options)

type options struct {
	provider.Settings
	appKey string // X-App-Key, see WithAppKey
}

// WithBaseURL sets Appstle's API host (default [DefaultBaseURL]). It must
// be https, or http for a loopback host; an empty or bad one is an error
// from [New].
func WithBaseURL(u string) Option { return func(o *options) { o.BaseURL = u } }

// WithHTTPClient sets the HTTP client whose transport, proxy and timeouts
// every call uses. It is copied, never modified, and the copy never follows
// redirects (a credential must not travel to another location). nil, the
// default, means a client on a clone of http.DefaultTransport with a 30 s
// response-header timeout.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.HTTPClient = hc } }

// WithCache shares c between clients (of any provider). Keys include a hash
// of the base URL and credentials, so clients never see each other's
// tokens. nil, the default, gives the Client its own cache, closed by
// Close.
func WithCache(c *tokencache.Cache) Option { return func(o *options) { o.Cache = c } }

// WithLogger logs request metadata (method, host, path without query,
// status, attempt, duration), cache events and handler refusals to l;
// never a credential, a token or a query string. nil, the default, logs
// nothing.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.Logger = l } }

// WithMaxAttempts sets how many times a request is tried in all when it
// fails with a network error, 429 or 5xx. 0 means the default, 3; 1 means
// no retry; a negative n is an error from [New].
func WithMaxAttempts(n int) Option { return func(o *options) { o.MaxAttempts = n } }

// WithMaxRetryAfter caps how long a call waits on a Retry-After before
// retrying; a longer one returns an [APIError] with RetryAfter at once. 0
// means the default, 5 s; a negative d is an error from [New].
func WithMaxRetryAfter(d time.Duration) Option { return func(o *options) { o.MaxRetryAfter = d } }

// WithRetryWait sets the backoff between tries: full jitter, exponential
// from min up to max. 0 for either means its default (100 ms and 2 s); a
// negative value, or min above max, is an error from [New]. A Retry-After
// the provider sends (up to WithMaxRetryAfter) wins when longer.
func WithRetryWait(min, max time.Duration) Option {
	return func(o *options) { o.MinWait, o.MaxWait = min, max }
}

// WithoutReuse makes every PortalToken call mint a new token instead of
// reusing a fresh one minted for an identical request. Default: reuse.
func WithoutReuse() Option { return func(o *options) { o.NoReuse = true } }
