package provider

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// Limits and defaults every webhook receiver shares.
const (
	// MaxWebhookBody is the most raw body a receiver reads; a longer one
	// is answered 413 without being verified.
	MaxWebhookBody = 1 << 20
	// DefaultDedupeWindow is how long a handled event id is remembered:
	// Svix retries across 3 days, so 72 hours.
	DefaultDedupeWindow = 72 * time.Hour
	// DefaultDedupeEntries bounds the in-memory dedupe set.
	DefaultDedupeEntries = 100_000
	// WebhookTolerance is how far a signed timestamp may be from the
	// receiver's clock, either way.
	WebhookTolerance = 5 * time.Minute
	// storeTimeout bounds each dedupe call to a shared Store.
	storeTimeout = 2 * time.Second
)

// WebhookSettings are the options every provider's WebhookHandler offers.
type WebhookSettings struct {
	Logger     *slog.Logger
	Store      tokencache.Store // fleet-wide dedupe; nil: in memory only
	Window     time.Duration    // dedupe window; 0: DefaultDedupeWindow
	MaxEntries int              // in-memory dedupe bound; 0: DefaultDedupeEntries
	Timeout    time.Duration    // deadline of one handle call; 0: the provider's default
	Now        func() time.Time // nil: time.Now
	Unsigned   bool             // Cartevo: accept deliveries without a signature
}

// Verify checks a delivery received at now and returns the event and the
// id deliveries of the same event share (the dedupe key). Its errors match
// one of the checkoutkit.ErrWebhook* sentinels.
type Verify[E any] func(h http.Header, body []byte, now time.Time) (E, string, error)

// Webhook is one provider's receiver: how it verifies a delivery and what
// it calls with the event.
type Webhook[E any] struct {
	Provider string // "crovver", for logs and errors
	Name     string // "crovver.WebhookHandler", for logs
	Secret   string
	Verify   Verify[E]
	Handle   func(context.Context, E) error
	// Type returns the event's type, for the log.
	Type func(E) string
	// SecretHeaders are the request headers whose values (signatures,
	// bearer secrets) are scrubbed from any error text that is logged.
	SecretHeaders []string
	// Timeout is the provider's default handle deadline.
	Timeout time.Duration
}

// MustWebhook panics when a receiver is built with an empty secret or a nil
// callback, as the redirect handlers do for a nil callback, so that the
// mistake shows at start-up rather than as deliveries that all verify
// against an empty key.
func MustWebhook(name, secret string, isNil bool) {
	MustCallback(name, isNil)
	if strings.TrimSpace(secret) == "" {
		panic(name + ": empty webhook secret")
	}
}

// WebhookError is a verification error of provider that matches kind (one
// of the checkoutkit.ErrWebhook* sentinels). format must not carry the
// secret or a signature.
func WebhookError(provider string, kind error, format string, args ...any) error {
	return fmt.Errorf("%s webhook: %w: %s", provider, kind, fmt.Sprintf(format, args...))
}

// WebhookStatus is the status a receiver answers a verification error with.
func WebhookStatus(err error) int {
	if errors.Is(err, checkoutkit.ErrWebhookSignature) {
		return http.StatusUnauthorized
	}
	return http.StatusBadRequest
}

// HMACSHA256 is the HMAC-SHA256 of the concatenated parts under key.
func HMACSHA256(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// EqualHex reports, in constant time, whether sig is the lowercase or
// uppercase hex of want.
func EqualHex(sig string, want []byte) bool {
	got, err := hex.DecodeString(sig)
	return err == nil && hmac.Equal(got, want)
}

// UnixTimestamp parses a signed timestamp in Unix seconds and checks it is
// within WebhookTolerance of now.
func UnixTimestamp(provider, v string, now time.Time) (time.Time, error) {
	sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || v == "" {
		return time.Time{}, WebhookError(provider, checkoutkit.ErrWebhookTimestamp, "timestamp is not Unix seconds")
	}
	t := time.Unix(sec, 0)
	if d := now.Sub(t); d > WebhookTolerance || d < -WebhookTolerance {
		return time.Time{}, WebhookError(provider, checkoutkit.ErrWebhookTimestamp, "timestamp is %s away from the receiver's clock", d.Round(time.Second))
	}
	return t, nil
}

// ContentID is a dedupe id made of the signed content itself, for
// providers whose deliveries carry no event id.
func ContentID(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// WebhookHandler is the shared skeleton of every provider's receiver:
//
//	a method other than POST                          405
//	a body over MaxWebhookBody                        413
//	a missing, malformed or wrong signature           401
//	a stale timestamp, or a body that is no envelope  400
//	an event already handled (same dedupe id)         200, handle not called
//	one another replica is handling (Store)           503, the provider retries
//	handle returned an error (or panicked)            500, the id is released
//	handle returned nil                               200
//
// Verification reads the raw body once, never re-serialised, and compares
// signatures in constant time. Each refusal is logged at Warn with its
// reason and never the secret or a signature; a failed handle at Error.
//
// Dedupe runs in memory (bounded, for the window) and, with a Store,
// across a fleet: a replica claims an event with the Store's TryLock, a
// set-if-absent marker held while handle may run (its timeout and a few
// seconds) and released when handle fails, so that the provider's retry
// is handled; once handle succeeds, an entry saved under the event's key
// marks it handled for the window. A claim the Store cannot release lapses
// on its own within those seconds. A delivery whose id another goroutine of this handler
// is handling waits for it; one that another replica holds the claim on,
// without the mark, is answered 503 so that the provider retries it (that
// replica may yet fail, or have failed without releasing it). A Store
// that errors is logged and dedupe falls back to memory: an event may then
// be handled twice, never dropped.
func WebhookHandler[E any](wh Webhook[E], s WebhookSettings) http.Handler {
	MustWebhook(wh.Name, wh.Secret, wh.Handle == nil || wh.Verify == nil)
	if s.Window <= 0 {
		s.Window = DefaultDedupeWindow
	}
	if s.MaxEntries <= 0 {
		s.MaxEntries = DefaultDedupeEntries
	}
	if s.Timeout <= 0 {
		s.Timeout = wh.Timeout
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	r := &receiver[E]{wh: wh, s: s, seen: newSeen(s.Window, s.MaxEntries)}
	r.ns = Key(wh.Provider+"-webhook", wh.Secret)
	return r
}

type receiver[E any] struct {
	wh   Webhook[E]
	s    WebhookSettings
	seen *seen
	ns   string // the Store's key prefix: provider and a hash of the secret
}

// ServeHTTP reads, verifies and delivers one webhook.
func (rc *receiver[E]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		rc.refuse(w, r, http.StatusMethodNotAllowed, "method not allowed", nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			rc.refuse(w, r, http.StatusRequestEntityTooLarge, "body over 1 MiB", nil)
			return
		}
		rc.refuse(w, r, http.StatusBadRequest, "body could not be read", nil)
		return
	}
	ev, id, err := rc.wh.Verify(r.Header, body, rc.s.Now())
	if err != nil {
		rc.refuse(w, r, WebhookStatus(err), "verification failed", err)
		return
	}
	typ := ""
	if rc.wh.Type != nil {
		typ = rc.wh.Type(ev)
	}
	rc.deliver(w, r, ev, id, typ)
}

// deliver dedupes on id and calls handle at most once per handled event.
func (rc *receiver[E]) deliver(w http.ResponseWriter, r *http.Request, ev E, id, typ string) {
	ctx := r.Context()
	for {
		st, wait := rc.seen.claim(id, rc.s.Now())
		if st == claimed {
			break
		}
		if st == duplicate {
			rc.log(ctx, slog.LevelInfo, r, http.StatusOK, "duplicate delivery, already handled", typ, nil)
			rc.answer(w, http.StatusOK)
			return
		}
		select { // another goroutine is handling id: wait for its outcome
		case <-wait:
		case <-ctx.Done():
			rc.refuse(w, r, http.StatusServiceUnavailable, "gave up waiting for a concurrent delivery", nil)
			return
		}
	}
	ok := false
	var release func(context.Context) error
	defer func() { // also when handle panics
		if !ok && release != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
			if err := release(rctx); err != nil {
				rc.log(ctx, slog.LevelWarn, r, 0, "could not release the dedupe lock in the Store; it expires once no handle can be running", typ, err)
			}
			cancel()
		}
		rc.seen.finish(id, ok, rc.s.Now())
	}()
	st, key := rc.s.Store, rc.ns+":"+Key("id", id)
	if st != nil {
		rel, claimed, handled, err := rc.claim(ctx, st, key)
		switch {
		case handled:
			rc.log(ctx, slog.LevelInfo, r, http.StatusOK, "duplicate delivery, handled by the fleet", typ, nil)
			rc.answer(w, http.StatusOK)
			return // not ok: this process did not handle it, so it forgets id
		case !claimed && err == nil:
			// Another replica's claim, and no mark: it is handling the
			// event, or failed and could not give the claim up. A 200 here
			// would drop the event if so; the provider retries this one.
			rc.refuse(w, r, http.StatusServiceUnavailable, "another replica is handling this event; the provider should retry", nil)
			return
		}
		if err != nil {
			rc.log(ctx, slog.LevelWarn, r, 0, "dedupe Store failed; deduping in memory only", typ, err)
		}
		release = rel
	}
	hctx, cancel := context.WithTimeout(ctx, rc.s.Timeout)
	err := rc.handle(hctx, ev)
	cancel()
	if err != nil {
		rc.log(ctx, slog.LevelError, r, http.StatusInternalServerError, "handle failed; the provider should retry", typ, rc.scrub(r, err))
		rc.answer(w, http.StatusInternalServerError)
		return
	}
	ok = true
	rc.answer(w, http.StatusOK)
	if release != nil {
		rc.remember(w, r, typ, st, key, release)
	}
}

// claim claims key's event for this replica unless another replica is
// handling it or the fleet has handled it (its mark is in the Store:
// handled). The mark is looked for under the claim too: a replica saves it
// before giving the claim up, so a claim taken after that sees it. The
// claim lasts only while handle may run: one that a Store in trouble
// cannot release after a failure keeps the provider's retries out that
// long (answered 503, so they come again), not for the window.
func (rc *receiver[E]) claim(ctx context.Context, st tokencache.Store, key string) (release func(context.Context) error, claimed, handled bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	release, claimed, err = st.TryLock(ctx, key, rc.s.Timeout+2*storeTimeout)
	if err != nil {
		return nil, false, false, err
	}
	_, handled, lerr := st.Load(ctx, key)
	switch {
	case !claimed: // a failed Load: not known to be handled, so not a 200
		return nil, false, handled, nil
	case handled:
		_ = release(ctx)
		return nil, false, true, nil
	}
	return release, true, false, lerr // a failed Load: handle it, holding the claim
}

// remember marks key's event handled in the Store for the window, then
// gives up this replica's claim on it, once the answer has gone out. If
// the Store fails here, a retry may be handled again; none is dropped.
func (rc *receiver[E]) remember(w http.ResponseWriter, r *http.Request, typ string, st tokencache.Store, key string, release func(context.Context) error) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), storeTimeout)
	defer cancel()
	exp := time.Now().Add(rc.s.Window)
	err := st.Save(ctx, key, tokencache.Entry{Token: tokencache.Token{Value: "handled", ExpiresAt: exp}, RefreshAt: exp})
	if err != nil {
		rc.log(r.Context(), slog.LevelWarn, r, 0, "could not mark the event handled in the Store; a retry may be handled again", typ, err)
	}
	_ = release(ctx) // or it lapses on its own
}

// handle calls the callback; a panic is its error, so that the delivery
// is answered 500 (net/http would drop the connection and print the panic
// value, unscrubbed). http.ErrAbortHandler keeps its meaning.
func (rc *receiver[E]) handle(ctx context.Context, ev E) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			err = fmt.Errorf("handle panicked: %v", p)
		}
	}()
	return rc.wh.Handle(ctx, ev)
}

func (rc *receiver[E]) answer(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, http.StatusText(status)+"\n")
}

func (rc *receiver[E]) refuse(w http.ResponseWriter, r *http.Request, status int, reason string, err error) {
	rc.log(r.Context(), slog.LevelWarn, r, status, reason, "", err)
	rc.answer(w, status)
}

// scrub removes the secret and the request's signature values from a
// callback's error text before it is logged.
func (rc *receiver[E]) scrub(r *http.Request, err error) error {
	msg := err.Error()
	olds := []string{rc.wh.Secret}
	for _, h := range rc.wh.SecretHeaders {
		olds = append(olds, r.Header.Values(h)...)
	}
	for _, old := range olds {
		for _, part := range strings.FieldsFunc(old, func(c rune) bool { return c == ' ' || c == ',' || c == '=' }) {
			if len(part) >= 8 {
				msg = strings.ReplaceAll(msg, part, "[redacted]")
			}
		}
		if old != "" {
			msg = strings.ReplaceAll(msg, old, "[redacted]")
		}
	}
	return errors.New(msg)
}

func (rc *receiver[E]) log(ctx context.Context, level slog.Level, r *http.Request, status int, reason, typ string, err error) {
	l := rc.s.Logger
	if l == nil || !l.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("provider", rc.wh.Provider),
		slog.String("handler", rc.wh.Name),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("reason", reason),
	}
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	if typ != "" {
		attrs = append(attrs, slog.String("event_type", typ))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	l.LogAttrs(ctx, level, "checkoutkit webhook", attrs...)
}
