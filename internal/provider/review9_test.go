package provider_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/provider"
)

// Absolute reads the iat of a JWT whose header jwt's ParseUnverified does
// not like (an alg it does not know, none, a signature that is not
// base64): it judged such a token's expiry on the local clock, so a client
// clock three hours ahead of the provider's refused a valid token.
func TestAbsoluteReadsIatWhateverTheHeader(t *testing.T) {
	server := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	now := server.Add(3 * time.Hour)
	e := base64.RawURLEncoding.EncodeToString
	claims := e([]byte(`{"iat":` + strconv.FormatInt(server.Unix(), 10) + `}`))
	for name, tok := range map[string]string{
		"unknown alg":       e([]byte(`{"alg":"XX512"}`)) + "." + claims + ".c2ln",
		"no alg":            e([]byte(`{"typ":"JWT"}`)) + "." + claims + ".c2ln",
		"signature not b64": e([]byte(`{"alg":"HS256"}`)) + "." + claims + ".a",
	} {
		got, err := provider.Absolute(server.Add(15*time.Minute), tok, nil, now, 0)
		if err != nil || !got.Equal(now.Add(15*time.Minute)) {
			t.Errorf("%s: got %s, %v; want %s (exp − iat from receipt)", name, got, err, now.Add(15*time.Minute))
		}
	}
}

// An absolute expiry before the token's own issue time is valid on no
// clock: it was judged by the Date header (or the local clock) instead, and
// the dead token served until then.
func TestExpiryBeforeIssueTimeIsRefused(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	h := http.Header{"Date": {now.Format(http.TimeFormat)}}
	for name, iat := range map[string]time.Time{"after exp": now.Add(3 * time.Hour), "at exp": now.Add(time.Hour)} {
		if got, err := provider.Expiry(now.Add(time.Hour), iat, h, now, 0); err == nil {
			t.Errorf("iat %s: exp %s accepted, expiring %s", name, now.Add(time.Hour), got)
		}
	}
}
