package provider

import (
	"errors"
	"fmt"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// MaxTokenSize bounds a token's Value, for every provider: the providers'
// tokens are a few hundred bytes (a JWT with metadata a few KiB), so a
// larger one is a misbehaving provider or a tampered Store entry.
const MaxTokenSize = 8 << 10

// maxExtraSize bounds each value in a token's Extra (a page URL carries the
// token in its query, so it may be a little longer than the token).
const maxExtraSize = 2 * MaxTokenSize

// Check vets tok as every fresh mint is vetted, so that a token loaded from
// a Store gets the same checks: a Value of at most [MaxTokenSize] bytes
// without whitespace or control characters, the Type the provider's tokens
// carry (typ, "" for none), Extra values of bounded size, and an ExpiresAt
// after now and no later than now + ceiling (the provider's lifetime
// ceiling, [MaxLifetime] when 0 or larger) by the cache's clock. Its errors
// name the rule, never the token.
func (b *Base) Check(tok tokencache.Token, typ string, ceil time.Duration) error {
	if len(tok.Value) > MaxTokenSize {
		return fmt.Errorf("token is over %d bytes", MaxTokenSize)
	}
	if err := httpx.CheckToken(tok.Value); err != nil {
		return err
	}
	if tok.Type != typ {
		return fmt.Errorf("token type %q, want %q", clip(tok.Type), typ)
	}
	for k, v := range tok.Extra {
		if len(v) > maxExtraSize {
			return fmt.Errorf("extra %q is over %d bytes", clip(k), maxExtraSize)
		}
	}
	now := b.Cache.Now()
	switch {
	case !tok.ExpiresAt.After(now):
		return errors.New("token has expired")
	case tok.ExpiresAt.After(now.Add(ceiling(ceil))):
		return fmt.Errorf("token expires more than %s from now, beyond the provider's ceiling", ceiling(ceil))
	}
	return nil
}

// CheckSettings refuses, naming the option, every value of the options all
// providers share that would otherwise be silently replaced: a negative
// count or duration (0 always means the default), a retry wait whose
// minimum exceeds its maximum (defaults included), and a Retry-After cap
// above tokencache.MaxRetryAfterHint, beyond which the cache would not
// honour the wait anyway.
func CheckSettings(name string, s Settings) error {
	minWait, maxWait := s.MinWait, s.MaxWait
	if minWait == 0 {
		minWait = httpx.DefaultMinWait
	}
	if maxWait == 0 {
		maxWait = httpx.DefaultMaxWait
	}
	switch {
	case s.MaxAttempts < 0:
		return httpx.Invalid(name, "WithMaxAttempts", "must not be negative (0 means the default, 3)")
	case s.MinWait < 0 || s.MaxWait < 0:
		return httpx.Invalid(name, "WithRetryWait", "must not be negative (0 means the default)")
	case minWait > maxWait:
		return httpx.Invalid(name, "WithRetryWait", fmt.Sprintf("min (%s) must not exceed max (%s)", minWait, maxWait))
	case s.MaxRetryAfter < 0:
		return httpx.Invalid(name, "WithMaxRetryAfter", "must not be negative (0 means the default, 5s)")
	case s.MaxRetryAfter > tokencache.MaxRetryAfterHint:
		return httpx.Invalid(name, "WithMaxRetryAfter", fmt.Sprintf("must be at most %s", tokencache.MaxRetryAfterHint))
	}
	return nil
}
