// Package provider holds what every provider client shares at construction:
// the common options' settings, the HTTP layer and cache they produce, and
// cache keys that never carry a credential in clear.
package provider

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
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

// Close closes the cache if Build created it.
func (b *Base) Close() error {
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
