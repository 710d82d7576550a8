// Package provider holds what every provider client shares: the common
// options' settings, the HTTP layer and cache they produce, the token path
// (cache, redaction, context errors), lifetime rules, cache keys that never
// carry a credential in clear, and the HTTP handlers' common behaviour.
package provider

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"weak"

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
	RetryAll      bool // Do retries network errors and 5xx for every method
	NoReuse       bool // browser-bound tokens are minted on every call
}

// Base is what a provider client is built on.
type Base struct {
	Name      string
	HTTP      *httpx.Client
	Cache     *tokencache.Cache
	Logger    *slog.Logger
	NoReuse   bool
	RetryAll  bool
	ownsCache bool
}

// Build validates s ([CheckSettings]) and returns the HTTP client and cache
// for one provider. A client that was given no cache gets its own, which
// Close closes.
func Build(name string, s Settings, decode httpx.ErrorDecoder, secrets ...string) (*Base, error) {
	if err := CheckSettings(name, s); err != nil {
		return nil, err
	}
	hc, err := httpx.New(httpx.Config{
		Provider:      name,
		BaseURL:       s.BaseURL,
		HTTPClient:    s.HTTPClient,
		MaxAttempts:   s.MaxAttempts,
		MinWait:       s.MinWait,
		MaxWait:       s.MaxWait,
		MaxRetryAfter: s.MaxRetryAfter,
		Logger:        s.Logger,
		DecodeError:   decode,
		Secrets:       secrets,
	})
	if err != nil {
		return nil, err
	}
	b := &Base{Name: name, HTTP: hc, Cache: s.Cache, Logger: s.Logger, NoReuse: s.NoReuse, RetryAll: s.RetryAll}
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

// Call names a token endpoint, for errors: the method and the path below
// the base URL.
type Call struct{ Method, Path string }

// fetch wraps a mint so that every token it returns is vetted by check (the
// same check a token loaded from a Store must pass) and then remembered for
// redaction; a token check refuses is an ErrUnexpectedResponse naming
// call, is never cached, and is not kept (it may be megabytes).
func (b *Base) fetch(call Call, mint tokencache.FetchFunc, check func(tokencache.Token) error) tokencache.FetchFunc {
	return func(ctx context.Context) (tokencache.Token, error) {
		tok, err := mint(ctx)
		if err != nil {
			return tok, err
		}
		if check != nil {
			if err := check(tok); err != nil {
				return tokencache.Token{}, fmt.Errorf("%s: %s %s: %w: token refused: %v", b.Name, call.Method, b.HTTP.URL(call.Path, nil).Path, httpx.ErrUnexpectedResponse, err)
			}
		}
		b.HTTP.Redactor().Remember(tok.Value)
		return tok, nil
	}
}

// Token returns key's token from the cache, minting it with mint when there
// is none that is fresh (GetFresh: tokens bound for a browser). With
// NoReuse set it mints on every call. check vets every token (see
// [Base.Check]); every token it hands out is remembered for redaction. A
// caller's context ending while it waits is wrapped with call.
func (b *Base) Token(ctx context.Context, key string, call Call, mint tokencache.FetchFunc, check func(tokencache.Token) error) (tokencache.Token, error) {
	f := b.fetch(call, mint, check)
	var tok tokencache.Token
	var err error
	if b.NoReuse {
		tok, err = f(ctx)
	} else {
		tok, err = b.Cache.GetWith(ctx, key, tokencache.Fetcher{Provider: b.Name, Fetch: f, Fresh: true})
		// Another client sharing the cache, or another replica through a
		// Store, may have minted it: this client redacts it from now on too.
		b.HTTP.Redactor().Remember(tok.Value)
	}
	return tok, b.wrap(err, call)
}

func (b *Base) wrap(err error, call Call) error {
	if err == nil {
		return nil
	}
	return b.HTTP.WrapContextError(err, call.Method, b.HTTP.URL(call.Path, nil).Path)
}

// RemintWindow is the shortest time between two refreshes of one key that
// a 401 can force: a token refused again within it, after a refresh that
// another 401 caused, goes back to the caller as that 401 instead of
// minting once more. So an endpoint that refuses every token costs at most
// one mint per RemintWindow, however many requests meet it.
const RemintWindow = 10 * time.Second

// Source is a fixed-key token (a server-to-server access token) with the
// token path's checks, redaction and context errors. It is an httpx.Auth.
type Source struct {
	b    *Base
	call Call
	src  *tokencache.Source
	key  string
	rm   *remint // a client's own cache: its own window; else see window
}

// remint is what a 401 refresh leaves for a key: shared by every Source on
// that key of one cache (clients made with one WithCache and one
// credential share a token, so they share its window too).
type remint struct {
	mu       sync.Mutex
	rejected string    // the last token a 401 dropped
	at       time.Time // when, by the cache's clock
}

// open reports whether the window rm's last re-mint began is still open
// at now (either way on a clock that stepped back). The caller holds rm.mu.
func (rm *remint) open(now time.Time) bool {
	d := now.Sub(rm.at)
	return d < RemintWindow && d > -RemintWindow
}

type remintKey struct {
	cache weak.Pointer[tokencache.Cache]
	key   string
}

// remints holds the window of each key of a shared cache that a 401 hit
// within the last RemintWindow. An entry is made by a 401, not by a
// client, and goes once its window has passed or its cache is gone (see
// pruneRemints): a long-lived cache shared by clients for many
// credentials must not keep one for every key it ever served.
var remints sync.Map // remintKey -> *remint

// remintsPruned is when pruneRemints last ran (Unix nanoseconds).
var remintsPruned atomic.Int64

// Source returns the Source for key, minted by mint at call; check vets
// every token (see [Base.Check]).
func (b *Base) Source(key string, call Call, mint tokencache.FetchFunc, check func(tokencache.Token) error) *Source {
	f := tokencache.Fetcher{Provider: b.Name, Fetch: b.fetch(call, mint, check), Check: check}
	s := &Source{b: b, call: call, src: b.Cache.SourceWith(key, f), key: key}
	if b.ownsCache {
		s.rm = new(remint)
	}
	return s
}

// window returns s's key's 401 window.
func (s *Source) window() *remint {
	if s.rm != nil {
		return s.rm
	}
	v, loaded := remints.LoadOrStore(remintKey{weak.Make(s.b.Cache), s.key}, new(remint))
	if !loaded {
		pruneRemints()
	}
	return v.(*remint)
}

// pruneRemints drops, at most once per RemintWindow, the windows that have
// passed (by their cache's clock) and those of caches that are gone.
func pruneRemints() {
	now, last := time.Now().UnixNano(), remintsPruned.Load()
	if now-last < int64(RemintWindow) || !remintsPruned.CompareAndSwap(last, now) {
		return
	}
	remints.Range(func(k, v any) bool {
		c := k.(remintKey).cache.Value()
		rm := v.(*remint)
		rm.mu.Lock()
		stale := c == nil || !rm.at.IsZero() && !rm.open(c.Now())
		rm.mu.Unlock()
		if stale {
			remints.CompareAndDelete(k, v)
		}
		return true
	})
}

// Token returns the cached token, minting one when none is fresh.
func (s *Source) Token(ctx context.Context) (tokencache.Token, error) {
	tok, err := s.src.Token(ctx)
	return tok, s.b.wrap(err, s.call)
}

// Invalidate drops tok if it is still the cached token.
func (s *Source) Invalidate(tok tokencache.Token) { s.src.Invalidate(tok) }

// BearerToken implements httpx.Auth.
func (s *Source) BearerToken(ctx context.Context) (string, error) {
	tok, err := s.Token(ctx)
	return tok.Value, err
}

// Reject implements httpx.Auth: a 401 for tok drops it and lets the
// request go once more with a new token, at most once per token and once
// per [RemintWindow] for the key (shared by every concurrent caller, and
// by every client on the key of a shared cache). A caller whose token was
// already dropped by another caller's 401 retries with the token that
// replaced it, which costs no mint.
func (s *Source) Reject(tok string) bool {
	rm := s.window()
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if tok == rm.rejected {
		return true
	}
	now := s.b.Cache.Now()
	if !rm.at.IsZero() && rm.open(now) {
		return false
	}
	rm.rejected, rm.at = tok, now
	s.src.Invalidate(tokencache.Token{Value: tok})
	return true
}

// Key returns a cache key for provider: its name and a hash of parts
// (base URL, credentials, request scope), so that keys never reveal what
// they are made of and different credentials never share a token. Each
// part is length-prefixed before it is hashed, so no two lists of parts
// encode alike, whatever bytes (NUL included) the parts hold.
func Key(provider string, parts ...string) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, p := range parts {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write([]byte(p))
	}
	return provider + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}

// Require reports a FieldError when value is empty or only spaces (any
// Unicode space, as strings.TrimSpace judges them), or holds a control
// character: a credential read from a file with its
// trailing newline cannot be sent in a header, and would otherwise fail
// every call in the transport, after its retries.
func Require(provider, field, value string) error {
	if strings.TrimSpace(value) == "" {
		return httpx.Invalid(provider, field, "must not be empty")
	}
	if strings.ContainsFunc(value, unicode.IsControl) {
		return httpx.Invalid(provider, field, "must not hold control characters (a trailing newline?)")
	}
	return nil
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

// Describe is a client's String: provider and base URL, no credential.
func (b *Base) Describe() string {
	return b.Name + ".Client{baseURL: " + b.HTTP.BaseURL().String() + "}"
}

// LogValue is a client's slog value: provider and base URL, no credential.
func (b *Base) LogValue() slog.Value {
	return slog.GroupValue(slog.String("provider", b.Name), slog.String("base_url", b.HTTP.BaseURL().String()))
}

// AccessTokenResponse is an OAuth 2.0 token answer (RFC 6749 §5.1).
type AccessTokenResponse struct {
	AccessToken string   `json:"access_token"`
	TokenType   string   `json:"token_type"`
	ExpiresIn   *float64 `json:"expires_in"`
}

// AccessToken decodes an OAuth 2.0 token answer received at now: a usable
// access_token, a Bearer (or absent) token_type, and a lifetime from
// expires_in under MaxLifetime. With no expires_in the lifetime is
// defaultLife, or an error when defaultLife is 0.
func (b *Base) AccessToken(resp *httpx.Response, now time.Time, defaultLife time.Duration) (tokencache.Token, error) {
	hc := b.HTTP
	var tr AccessTokenResponse
	if err := hc.DecodeJSON(resp, &tr); err != nil {
		return tokencache.Token{}, err
	}
	if err := httpx.CheckToken(tr.AccessToken); err != nil {
		return tokencache.Token{}, hc.Unexpected(resp, "access_token: %v", err)
	}
	if err := CheckTokenType(tr.TokenType); err != nil {
		return tokencache.Token{}, hc.Unexpected(resp, "%v", err)
	}
	life := defaultLife
	if tr.ExpiresIn != nil || life == 0 {
		if tr.ExpiresIn == nil {
			return tokencache.Token{}, hc.Unexpected(resp, "no expires_in")
		}
		var err error
		if life, err = Lifetime(*tr.ExpiresIn, 0); err != nil {
			return tokencache.Token{}, hc.Unexpected(resp, "expires_in: %v", err)
		}
	}
	return tokencache.Token{Value: tr.AccessToken, Type: "Bearer", ExpiresAt: now.Add(life)}, nil
}
