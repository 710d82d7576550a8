package tokencache

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"
)

// Token is a provider credential with the time it stops being valid.
//
// Value is secret: [Token.String], [Token.GoString] and [Token.LogValue] never
// show it, so a Token printed with %v, %+v or %#v or logged through
// log/slog stays redacted.
type Token struct {
	Value     string    // the secret itself; never printed by String/%v/%+v
	Type      string    // e.g. "Bearer"; may be empty
	ExpiresAt time.Time // local receipt time + stated lifetime

	// Extra is provider data that travels with the token, such as the page
	// URL a checkout token belongs to or the customer id it was minted for.
	// It is kept and shared ([Store]) with the token, never packed into
	// Value. Values may carry the token (a page URL with ?token=), so
	// String, GoString and LogValue show only the keys. Treat it as
	// read-only once the token is cached.
	Extra map[string]string
}

const redacted = "[redacted]"

// String returns the token's type and expiry with its value redacted, for
// example "Bearer [redacted] exp=2026-01-02T15:04:05Z".
func (t Token) String() string {
	typ := t.Type
	if typ == "" {
		typ = "Token"
	}
	return typ + " " + t.redactedValue() + " exp=" + t.ExpiresAt.UTC().Format(time.RFC3339)
}

// GoString implements [fmt.GoStringer] so that %#v stays redacted.
func (t Token) GoString() string {
	return fmt.Sprintf("tokencache.Token{Value:%q, Type:%q, ExpiresAt:%q, Extra:%q}",
		t.redactedValue(), t.Type, t.ExpiresAt.UTC().Format(time.RFC3339Nano), t.extraKeys())
}

// LogValue implements [slog.LogValuer]: type and expiry, never the value.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("type", t.Type),
		slog.Bool("empty", t.Value == ""),
		slog.Time("expires_at", t.ExpiresAt),
		slog.Any("extra_keys", t.extraKeys()),
	)
}

// extraKeys lists the keys of Extra, sorted, without their values.
func (t Token) extraKeys() []string {
	return slices.Sorted(maps.Keys(t.Extra))
}

func (t Token) redactedValue() string {
	if t.Value == "" {
		return "<empty>"
	}
	return redacted
}

// FetchFunc mints a new token. The cache calls it with a context detached from
// its callers' cancellation and bounded by the fetch timeout (see
// [WithFetchTimeout]); it should compute ExpiresAt from [Cache.Now] plus
// the lifetime the provider states. A FetchFunc that panics fails that
// fetch. One must not call runtime.Goexit (t.FailNow, require in a test):
// as with singleflight, every caller waiting on that fetch whose context
// can never end (context.Background()) exits too, and the others wait
// until their context ends or the cache is closed.
type FetchFunc func(ctx context.Context) (Token, error)
