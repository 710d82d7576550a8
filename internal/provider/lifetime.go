package provider

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
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
