// The four provider packages share this file word for word but for the
// default timeout: edit them together.

package crovver

import (
	"log/slog"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/provider"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// WebhookOption configures [WebhookHandler]. Options are applied in order;
// a nil one is ignored. The options read the same in all four provider
// packages.
type WebhookOption func(*webhookOptions)

type webhookOptions struct{ provider.WebhookSettings }

// WithWebhookLogger logs each refused delivery at Warn (method, path,
// status, the reason), each failed handle at Error and each duplicate at
// Info, to l; never the secret, a signature or the body. nil, the default,
// logs nothing.
func WithWebhookLogger(l *slog.Logger) WebhookOption {
	return func(o *webhookOptions) { o.Logger = l }
}

// WithWebhookStore dedupes across a fleet of replicas through s (a
// redisstore.Store or sqlstore.Store): the first replica to take an event's
// TryLock (held for the dedupe window, keyed by a hash of the secret and
// the event id) handles it, and releases it if handle fails so that the
// provider's retry is handled. In-memory dedupe stays in front. A Store that
// fails is logged and dedupe falls back to memory: an event may then be
// handled twice, never dropped. nil, the default, dedupes in memory only.
func WithWebhookStore(s tokencache.Store) WebhookOption {
	return func(o *webhookOptions) { o.Store = s }
}

// WithWebhookDedupe sets how long a handled event id is remembered (default
// 72 h, as long as Svix retries) and how many ids memory keeps at most
// (default 100 000; the oldest are forgotten first). 0 keeps a default.
func WithWebhookDedupe(window time.Duration, maxEntries int) WebhookOption {
	return func(o *webhookOptions) { o.Window, o.MaxEntries = window, maxEntries }
}

// WithWebhookTimeout sets the deadline of the context each handle call
// gets; a handle that runs out returns an error and the delivery is
// answered 500. The default is 4 s (Crovver wants an answer within 5 s): do slow work
// after enqueueing it.
func WithWebhookTimeout(d time.Duration) WebhookOption {
	return func(o *webhookOptions) { o.Timeout = d }
}

// WithWebhookClock sets the receiver's clock, for signed timestamps and the
// dedupe window (default time.Now).
func WithWebhookClock(now func() time.Time) WebhookOption {
	return func(o *webhookOptions) { o.Now = now }
}

func applyWebhook(opts []WebhookOption) provider.WebhookSettings {
	var o webhookOptions
	provider.Apply(&o, opts)
	return o.WebhookSettings
}
