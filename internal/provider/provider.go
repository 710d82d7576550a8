// Package provider holds what every provider client shares at construction:
// the common options' settings, the HTTP layer and cache they produce, and
// cache keys that never carry a credential in clear.
package provider

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// Settings are the options every provider package offers.
type Settings struct {
	BaseURL       string
	HTTPClient    *http.Client
	Cache         *tokencache.Cache
	Logger        *slog.Logger
	MaxAttempts   int
	MinWait       time.Duration
	MaxWait       time.Duration
	MaxRetryAfter time.Duration
	MaxBody       int64
	RetryAll      bool // Do retries network errors and 5xx for every method
}

// Base is what a provider client is built on.
type Base struct {
	HTTP      *httpx.Client
	Cache     *tokencache.Cache
	ownsCache bool
}

// Build validates s and returns the HTTP client and cache for one provider.
// A client that was given no cache gets its own, which Close closes.
func Build(name string, s Settings, decode httpx.ErrorDecoder, secrets ...string) (*Base, error) {
	hc, err := httpx.New(httpx.Config{
		Provider:      name,
		BaseURL:       s.BaseURL,
		HTTPClient:    s.HTTPClient,
		MaxAttempts:   s.MaxAttempts,
		MinWait:       s.MinWait,
		MaxWait:       s.MaxWait,
		MaxRetryAfter: s.MaxRetryAfter,
		MaxBody:       s.MaxBody,
		Logger:        s.Logger,
		DecodeError:   decode,
		Secrets:       secrets,
	})
	if err != nil {
		return nil, err
	}
	b := &Base{HTTP: hc, Cache: s.Cache}
	if b.Cache == nil {
		b.Cache = tokencache.New(tokencache.WithLogger(s.Logger))
		b.ownsCache = true
	}
	return b, nil
}

// Close closes the cache if Build created it, and the HTTP client's own
// idle connections.
func (b *Base) Close() error {
	b.HTTP.Close()
	if b.ownsCache {
		return b.Cache.Close()
	}
	return nil
}

// Key returns a cache key for provider: its name and a hash of parts
// (base URL, credentials, request scope), so that keys never reveal what
// they are made of and different credentials never share a token.
func Key(provider string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return provider + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}

// Require reports a FieldError when value is empty or only spaces.
func Require(provider, field, value string) error {
	if strings.TrimSpace(value) == "" {
		return httpx.Invalid(provider, field, "must not be empty")
	}
	return nil
}

// Pack joins the parts of a compound token (a token and its checkout URL,
// say) into one tokencache Value; Unpack splits it again. Tokens and URLs
// never contain NUL.
func Pack(parts ...string) string { return strings.Join(parts, "\x00") }

// Unpack splits tok.Value, made by Pack, into exactly n parts. A value
// without n parts (a Store shared with another version, or tampered with)
// is dropped from the cache and reported as ErrUnexpectedResponse, so that
// the next call mints afresh.
func Unpack(cache *tokencache.Cache, key string, tok tokencache.Token, n int) ([]string, error) {
	parts := strings.SplitN(tok.Value, "\x00", n)
	if len(parts) != n {
		cache.Invalidate(key, tok)
		return nil, fmt.Errorf("%w: cached token is malformed; dropped it", httpx.ErrUnexpectedResponse)
	}
	return parts, nil
}

// FailureStatus is the status an HTTP handler answers when it could not
// hand out a token. For an error from the handler's own callback
// (fromCaller): 401 if it matches ErrUnauthorized, 404 if ErrNotFound, else
// 400. Otherwise a local validation error is 400 and anything else is the
// provider failing us: 502.
func FailureStatus(err error, fromCaller bool) int {
	switch {
	case fromCaller && errors.Is(err, httpx.ErrUnauthorized):
		return http.StatusUnauthorized
	case fromCaller && errors.Is(err, httpx.ErrNotFound):
		return http.StatusNotFound
	case fromCaller, isLocal(err):
		return http.StatusBadRequest
	}
	return http.StatusBadGateway
}

func isLocal(err error) bool {
	var fe *httpx.FieldError
	return errors.As(err, &fe)
}

// WriteFailure answers status with its plain status text.
func WriteFailure(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(http.StatusText(status) + "\n"))
}

// CloseWhenUnreachable closes b's own cache once the public client p has
// been garbage-collected, for callers who drop a client without Close: its
// cache's background goroutines would otherwise live on.
func CloseWhenUnreachable[T any](p *T, b *Base) {
	runtime.AddCleanup(p, func(b *Base) { _ = b.Close() }, b)
}

// Apply runs each non-nil option over o.
func Apply[O any, F ~func(*O)](o *O, opts []F) {
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
}
