package provider_test

import (
	"encoding/base64"
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
