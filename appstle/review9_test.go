package appstle_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/appstle"
)

// unsignedJWT is a JWT with the given header and claims and a signature
// nobody checks (the client holds no key).
func unsignedJWT(header, claims, sig string) string {
	e := base64.RawURLEncoding.EncodeToString
	return e([]byte(header)) + "." + e([]byte(claims)) + "." + sig
}

// portalServer answers every portal-token request with customer 12345 and
// token.
func portalServer(t *testing.T, token string) *appstle.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"customerId":12345,"token":"` + token + `"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := appstle.New("apst_review9", appstle.WithBaseURL(srv.URL))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func unix(d time.Duration) string { return strconv.FormatInt(time.Now().Add(d).Unix(), 10) }

// A portal JWT's claims were read only when jwt's ParseUnverified also
// liked its header and signature: one with an alg jwt does not know, with
// none at all, or with a signature that is not base64 was taken for an
// opaque token, so customer 999's token was served for 12345 and a token
// whose exp had passed an hour ago was served for two more hours.
func TestPortalJWTWithOddHeaderStillHasItsClaimsChecked(t *testing.T) {
	for claims, bad := range map[string]string{
		`{"customerId":999}`: "another customer",
		`{"customerId":12345,"exp":` + unix(-time.Hour) + `}`: "expired",
	} {
		for hdr, tok := range map[string]string{
			"unknown alg":       unsignedJWT(`{"alg":"XX512","typ":"JWT"}`, claims, "c2ln"),
			"no alg":            unsignedJWT(`{"typ":"JWT"}`, claims, "c2ln"),
			"signature not b64": unsignedJWT(`{"alg":"HS256"}`, claims, "a"),
		} {
			c := portalServer(t, tok)
			got, err := c.PortalToken(t.Context(), appstle.PortalTokenRequest{CustomerID: "12345"})
			if !assert.ErrorIs(t, err, appstle.ErrUnexpectedResponse, "%s, %s: served %v", bad, hdr, got) {
				continue
			}
			assert.NotContains(t, err.Error(), tok)
		}
	}
}

// An exp before the token's issue time (iat, or Appstle's timestamp) is
// valid on no clock; it was served until exp on the local clock.
func TestPortalJWTExpiringBeforeItsIssueIsRefused(t *testing.T) {
	for name, claims := range map[string]string{
		"exp before iat":       `{"customerId":12345,"iat":` + unix(3*time.Hour) + `,"exp":` + unix(time.Hour) + `}`,
		"exp before timestamp": `{"customerId":12345,"timestamp":` + unix(3*time.Hour) + `,"exp":` + unix(time.Hour) + `}`,
	} {
		c := portalServer(t, unsignedJWT(`{"alg":"HS256","typ":"JWT"}`, claims, "c2ln"))
		got, err := c.PortalToken(t.Context(), appstle.PortalTokenRequest{CustomerID: "12345"})
		assert.ErrorIs(t, err, appstle.ErrUnexpectedResponse, "%s: served %v", name, got)
	}
}

// A customerId claim that is there but is not a customer id as Appstle
// writes one (a number, or gid://shopify/Customer/<n>) names someone the
// client cannot tell from the customer asked for; it was skipped as if the
// token named no one, and the token served. Likewise an exp that is not a
// number (here a string, an hour past) was skipped and the token served
// for receipt + 2 h, whatever it says.
func TestPortalJWTWithUnreadableClaimsIsRefused(t *testing.T) {
	for _, claims := range []string{
		`{"customerId":" 999"}`, `{"customerId":"999x"}`, `{"customerId":"gid://shopify/Order/12345"}`,
		`{"customerId":999.5}`, `{"customerId":true}`, `{"customerId":[999]}`,
		`{"customerId":12345,"exp":"` + unix(-time.Hour) + `"}`,
	} {
		c := portalServer(t, unsignedJWT(`{"alg":"HS256","typ":"JWT"}`, claims, "c2ln"))
		got, err := c.PortalToken(t.Context(), appstle.PortalTokenRequest{CustomerID: "12345"})
		assert.ErrorIs(t, err, appstle.ErrUnexpectedResponse, "%s: served %v", claims, got)
	}
}
