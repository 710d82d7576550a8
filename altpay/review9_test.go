package altpay_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/altpay"
)

// unsignedJWT is a JWT with the given header and claims and a signature
// nobody checks (the client holds no key).
func unsignedJWT(header, claims, sig string) string {
	e := base64.RawURLEncoding.EncodeToString
	return e([]byte(header)) + "." + e([]byte(claims)) + "." + sig
}

// initServer answers the token exchange, and init with body.
func initServer(t *testing.T, body string) *altpay.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/oauth/token" {
			_, _ = w.Write([]byte(`{"access_token":"tok_access_1234","token_type":"Bearer","expires_in":3600}`))
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := altpay.New("id", "secret", altpay.WithBaseURL(srv.URL))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

var me = altpay.CheckoutTokenRequest{CustomerID: "cus_me", InvoiceID: "inv_me"}

// A checkout JWT is read unverified, but its claims were read only when
// jwt's ParseUnverified also liked its header and signature: one with an
// alg jwt does not know, with none at all, or with a signature that is not
// base64 was taken for an opaque token, so cus_victim's token was handed
// to cus_me.
func TestCheckoutJWTWithOddHeaderStillHasItsClaimsChecked(t *testing.T) {
	victim := `{"customer_id":"cus_victim","invoice_id":"inv_victim"}`
	for name, tok := range map[string]string{
		"unknown alg":       unsignedJWT(`{"alg":"XX512","typ":"JWT"}`, victim, "c2ln"),
		"no alg":            unsignedJWT(`{"typ":"JWT"}`, victim, "c2ln"),
		"signature not b64": unsignedJWT(`{"alg":"HS256"}`, victim, "a"),
	} {
		c := initServer(t, `{"token":"`+tok+`","expires_in":600}`)
		got, err := c.CheckoutToken(t.Context(), me)
		if !assert.ErrorIs(t, err, altpay.ErrUnexpectedResponse, "%s: served %v", name, got) {
			continue
		}
		assert.NotContains(t, err.Error(), tok, name)
	}
}

// A token whose exp is before its iat was never valid at any time, on any
// clock; it was served (for exp on the local clock) instead of refused.
func TestCheckoutJWTExpiringBeforeItsIssueIsRefused(t *testing.T) {
	now := time.Now()
	tok := unsignedJWT(`{"alg":"HS256"}`, `{"customer_id":"cus_me","invoice_id":"inv_me","iat":`+
		strconv.FormatInt(now.Add(4*time.Hour).Unix(), 10)+`,"exp":`+strconv.FormatInt(now.Add(20*time.Minute).Unix(), 10)+`}`, "c2ln")
	c := initServer(t, `{"token":"`+tok+`"}`)
	got, err := c.CheckoutToken(t.Context(), me)
	require.ErrorIs(t, err, altpay.ErrUnexpectedResponse, "served %v", got)
	assert.NotContains(t, err.Error(), tok)
}

// A customer_id or invoice_id claim that is there but is not a string or
// number (an object, a list, true, null) or is empty names no one the
// client can compare with the request's; it was skipped as if absent, and
// a token carrying cus_victim in such a claim was served to cus_me.
func TestCheckoutJWTWithUnreadableBindingClaimIsRefused(t *testing.T) {
	for _, claims := range []string{
		`{"customer_id":{"id":"cus_victim"},"invoice_id":"inv_me"}`,
		`{"customer_id":["cus_victim"],"invoice_id":"inv_me"}`,
		`{"customer_id":"cus_me","invoice_id":["inv_victim"]}`,
		`{"customer_id":true,"invoice_id":"inv_me"}`,
		`{"customer_id":null,"invoice_id":"inv_me"}`,
		`{"customer_id":"","invoice_id":"inv_me"}`,
	} {
		tok := unsignedJWT(`{"alg":"HS256","typ":"JWT"}`, claims, "c2ln")
		c := initServer(t, `{"token":"`+tok+`","expires_in":600}`)
		got, err := c.CheckoutToken(t.Context(), me)
		assert.ErrorIs(t, err, altpay.ErrUnexpectedResponse, "%s: served %v", claims, got)
	}
}
