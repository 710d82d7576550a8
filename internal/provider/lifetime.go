package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxLifetime is the longest lifetime any provider token may state: one
// rule for every provider, so that a provider's typo or a hostile answer
// never caches a token for years or overflows time.Duration. A provider may
// use a lower ceiling.
const MaxLifetime = 366 * 24 * time.Hour

// Lifetime turns a lifetime stated in seconds (expires_in, expiresIn) into
// a Duration: it must be a positive finite number no larger than max
// (MaxLifetime when max is 0 or larger).
func Lifetime(seconds float64, max time.Duration) (time.Duration, error) {
	max = ceiling(max)
	switch {
	case math.IsNaN(seconds) || seconds <= 0:
		return 0, fmt.Errorf("%v is not a positive number of seconds", seconds)
	case seconds > max.Seconds():
		return 0, fmt.Errorf("%v s is above the %s ceiling", seconds, max)
	}
	return time.Duration(seconds * float64(time.Second)), nil
}

// Deadline bounds an absolute expiry a provider states (a JWT exp, an
// expires_at): it must be after now, and one beyond now+max (MaxLifetime
// when max is 0 or larger) is clamped to now+max.
func Deadline(t, now time.Time, max time.Duration) (time.Time, error) {
	if !t.After(now) {
		return time.Time{}, errors.New("is not in the future")
	}
	if limit := now.Add(ceiling(max)); t.After(limit) {
		return limit, nil
	}
	return t.In(now.Location()), nil
}

func ceiling(max time.Duration) time.Duration {
	if max <= 0 || max > MaxLifetime {
		return MaxLifetime
	}
	return max
}

// CheckTokenType accepts what RFC 6749 §7.1 allows a client that sends
// Bearer tokens: "Bearer" in any case, or no token_type where a provider
// omits it.
func CheckTokenType(typ string) error {
	if typ == "" || strings.EqualFold(typ, "bearer") {
		return nil
	}
	return fmt.Errorf("token_type %q is not Bearer", clip(typ))
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// Absolute turns an absolute expiry t that a provider states (an
// expires_at, a JWT exp), in an answer with header h received at now, into
// an ExpiresAt on the local clock, so that a client clock behind or ahead of
// the provider's neither serves a dead token nor refuses a valid one: it is
// [Expiry] with the iat claim of token, when token is a JWT that has one.
func Absolute(t time.Time, token string, h http.Header, now time.Time, max time.Duration) (time.Time, error) {
	iat, _ := issuedAt(token)
	return Expiry(t, iat, h, now, max)
}

// Expiry turns an absolute expiry t, for a token issued at iat (zero if
// unknown) by the provider's clock, received at now in an answer with
// header h, into an ExpiresAt on the local clock:
//
//   - with an iat, the lifetime is t − iat from receipt, whatever either
//     clock says; a t at or before iat is an error (the token is valid on
//     no clock);
//   - else, with a Date header, t moved by the skew between the two clocks
//     (now − Date);
//   - else t on the local clock.
//
// The result must be after now; one beyond now + max (MaxLifetime when max
// is 0 or larger) is clamped to it, as [Deadline] does.
func Expiry(t, iat time.Time, h http.Header, now time.Time, max time.Duration) (time.Time, error) {
	if !iat.IsZero() {
		if !t.After(iat) {
			return time.Time{}, errors.New("is not after the token's issue time")
		}
		return now.Add(min(t.Sub(iat), ceiling(max))), nil
	}
	skew, _ := DateSkew(h, now)
	return Deadline(t.Add(skew), now, max)
}

// Claims reads a JWT's claims without verifying it (only the provider
// holds the key); ok is false for a token that is not a JWT: three
// segments, the second a JSON object. Unlike jwt's ParseUnverified it
// reads them whatever the header and signature hold (an alg jwt does not
// know, none at all, a signature that is not base64): the claims are what
// the token says, and a check that skipped them would take a token naming
// another customer, or long expired, for an opaque one.
func Claims(token string) (jwt.MapClaims, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	b, err := jwt.NewParser().DecodeSegment(parts[1])
	claims := jwt.MapClaims{}
	if err != nil || json.Unmarshal(b, &claims) != nil || claims == nil {
		return nil, false
	}
	return claims, true
}

// issuedAt reads a JWT's iat claim, unverified; ok is false for a token
// that is not a JWT or has none.
func issuedAt(token string) (time.Time, bool) {
	claims, ok := Claims(token)
	if !ok {
		return time.Time{}, false
	}
	iat, err := claims.GetIssuedAt()
	if err != nil || iat == nil {
		return time.Time{}, false
	}
	return iat.Time, true
}

// DateSkew is how far the local clock (now) is ahead of the provider's, by
// the answer's Date header: now − Date, negative when the local clock is
// behind; dated is false without a readable Date (the skew is then 0).
// Date has a resolution of one second, so the skew is truncated to whole
// seconds (one under a second is none).
func DateSkew(h http.Header, now time.Time) (skew time.Duration, dated bool) {
	d, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return 0, false
	}
	return now.Sub(d).Truncate(time.Second), true
}
