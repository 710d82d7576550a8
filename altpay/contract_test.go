package altpay_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/altpay"
)

// Payloads Alternative Payments really sends beyond its docs (PROVIDERS.md,
// "What the providers really send"), verbatim.
const (
	// Token answers seen from the live API (Node SDK fixtures, PHP
	// integration).
	tokenAnswerWithScope = `{"access_token":"…","token_type":"Bearer","expires_in":3600,"scope":"payments:read payments:write"}`
	tokenAnswerLowercase = `{"access_token":"…","expires_in":3600,"token_type":"bearer"}`
	// The OpenAPI spec's flat error shape.
	openAPIError = `{"code":"bad_request","message":"invalid invoice id","validation_errors":{"invoice_id":"must not be empty"}}`
	// OAuth errors.
	oauthInvalidClient = `{"error":"invalid_client"}`
	invalidCredentials = `{"message":"Invalid credentials"}`
)

func TestContractTokenAnswersSeenLive(t *testing.T) {
	for _, body := range []string{tokenAnswerWithScope, tokenAnswerLowercase} {
		c, mt, clk := mockClient(t)
		mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, body))
		tok, err := c.AccessToken(bg)
		require.NoError(t, err, body)
		assert.Equal(t, "…", tok.Value, body)
		assert.Equal(t, "Bearer", tok.Type, body)
		assert.WithinDuration(t, clk.Now().Add(3600*time.Second), tok.ExpiresAt, near, body)
	}
}

// PROVIDERS.md: peers default a missing expires_in to 3600.
func TestContractTokenWithoutExpiresInLivesAnHour(t *testing.T) {
	c, mt, clk := mockClient(t)
	mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, `{"access_token":"opaque-access-token-123","token_type":"bearer"}`))
	tok, err := c.AccessToken(bg)
	require.NoError(t, err)
	assert.WithinDuration(t, clk.Now().Add(altpay.DefaultAccessTokenLifetime), tok.ExpiresAt, near)
	assert.Equal(t, 3600*time.Second, altpay.DefaultAccessTokenLifetime)

	// A present but invalid expires_in is still an error.
	for _, in := range []string{`0`, `-5`, `"soon"`, `null`} {
		c, mt, _ := mockClient(t)
		mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, `{"access_token":"opaque-access-token-123","expires_in":`+in+`}`))
		_, err := c.AccessToken(bg)
		if in == `null` {
			assert.NoError(t, err, "null is absent")
			continue
		}
		assert.ErrorIs(t, err, altpay.ErrUnexpectedResponse, in)
	}
}

// Issue 10 #10: token_type must be Bearer (any case) or absent.
func TestContractTokenType(t *testing.T) {
	for typ, ok := range map[string]bool{`"bearer"`: true, `"BEARER"`: true, `"Bearer"`: true, `null`: true, `""`: true, `"mac"`: false, `"Basic"`: false, `"N_A"`: false} {
		c, mt, _ := mockClient(t)
		mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, `{"access_token":"opaque-access-token-123","expires_in":3600,"token_type":`+typ+`}`))
		_, err := c.AccessToken(bg)
		if ok {
			assert.NoError(t, err, typ)
		} else {
			assert.ErrorIs(t, err, altpay.ErrUnexpectedResponse, typ)
		}
	}
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, `{"access_token":"opaque-access-token-123","expires_in":3600}`))
	tok, err := c.AccessToken(bg)
	require.NoError(t, err)
	assert.Equal(t, "Bearer", tok.Type, "a missing token_type is Bearer")
}

// Issue 10 #9: lifetimes are bounded, never overflow.
func TestContractLifetimesAreBounded(t *testing.T) {
	for _, in := range []string{"9.3e9", "31708800", "1e308"} {
		c, mt, _ := mockClient(t)
		mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, `{"access_token":"opaque-access-token-123","expires_in":`+in+`}`))
		_, err := c.AccessToken(bg)
		assert.ErrorIs(t, err, altpay.ErrUnexpectedResponse, in)
	}

	far := time.Date(33715, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	claims := jwt.MapClaims{"customer_id": "cus_1", "invoice_id": "inv_1", "exp": far}
	for name, tc := range map[string]struct {
		body string
		ok   bool
	}{
		"expires_at year 33715": {`{"token": %q, "expires_at": ` + fmt.Sprint(far) + `}`, true},
		"exp claim year 33715":  {`{"token": %q}`, true},
		"expires_in 9.3e9":      {`{"token": %q, "expires_in": 9.3e9}`, false},
		"expires_at past":       {`{"token": %q, "expires_at": "2020-01-01T00:00:00Z"}`, false},
	} {
		t.Run(name, func(t *testing.T) {
			c, mt, clk := mockClient(t)
			mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, docAccess))
			mt.RegisterResponder(http.MethodPost, base+"/v1/checkout-auth/init", respond(200, fmt.Sprintf(tc.body, jwtFor(t, claims))))
			ct, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"})
			if !tc.ok {
				require.ErrorIs(t, err, altpay.ErrUnexpectedResponse)
				return
			}
			require.NoError(t, err)
			assert.False(t, ct.ExpiresAt.After(time.Now().Add(24*time.Hour)), "clamped to receipt + 24 h: %v", ct.ExpiresAt)
			assert.WithinDuration(t, clk.Now().Add(24*time.Hour), ct.ExpiresAt, near)
		})
	}
}

// A TypeScript integration reads data.access_token || data.token.
func TestContractInitAnswerWithAccessToken(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, docAccess))
	tok := jwtFor(t, jwt.MapClaims{"customer_id": "cus_1", "invoice_id": "inv_1", "exp": newClock().Now().Add(15 * time.Minute).Unix()})
	mt.RegisterResponder(http.MethodPost, base+"/v1/checkout-auth/init", respond(200, `{"access_token":"`+tok+`","expires_at":"`+newClock().Now().Add(15*time.Minute).Format(time.RFC3339)+`"}`))
	ct, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"})
	require.NoError(t, err)
	assert.Equal(t, tok, ct.Token)
	assert.Equal(t, "inv_1", ct.Claims.InvoiceID)
}

func TestContractFlatOpenAPIError(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, docAccess))
	mt.RegisterResponder(http.MethodPost, base+"/v1/checkout-auth/init", respond(400, openAPIError))
	_, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"})
	var ae *altpay.APIError
	require.ErrorAs(t, err, &ae)
	assert.ErrorIs(t, err, altpay.ErrInvalidRequest)
	assert.Equal(t, 400, ae.StatusCode)
	assert.Equal(t, "bad_request", ae.Code)
	assert.Equal(t, "invalid invoice id", ae.Message)
	assert.Equal(t, []checkoutkit.FieldError{{Provider: "altpay", Field: "invoice_id", Reason: "must not be empty"}}, ae.Fields)
	assert.Contains(t, err.Error(), "invalid invoice id")
	assert.Contains(t, err.Error(), "invoice_id: must not be empty")
}

func TestContractOAuthErrors(t *testing.T) {
	for status, body := range map[int]string{401: oauthInvalidClient, 403: invalidCredentials} {
		c, mt, _ := mockClient(t)
		mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(status, body))
		_, err := c.AccessToken(bg)
		require.ErrorIs(t, err, altpay.ErrUnauthorized, body)
		var ae *altpay.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, status, ae.StatusCode)
		want := map[int]string{401: "invalid_client", 403: "Invalid credentials"}[status]
		assert.Equal(t, want, ae.Message)
		assert.Contains(t, err.Error(), want)
		assert.Equal(t, 1, mt.GetTotalCallCount(), "never retried")
		assert.NotContains(t, err.Error(), secret)
	}
}
