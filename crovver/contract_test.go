package crovver_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// The documented examples, verbatim.
const (
	docCheckout = `{
    "success": true,
    "data": {
      "token": "eyJhbGciOiJIUzI1NiJ9...",
      "expiresAt": "2025-01-01T00:10:00Z"
    },
    "meta": {
      "checkoutUrl": "https://portal.crovver.com/pricing?token=eyJhbGci...",
      "expiresIn": 600
    }
  }`
	docPortal = `{"success": true, "data": {"token": "eyJhbGciOiJIUzI1NiJ9...", "expiresAt": "2025-01-01T00:10:00Z"},
  "meta": {"portalUrl": "https://portal.crovver.com/billing?token=eyJhbGci...", "expiresIn": 600}}`

	checkoutURL = "https://app.crovver.com/api/public/auth/checkout-token"
	portalURL   = "https://app.crovver.com/api/public/auth/portal-token"
	publicKey   = "pk_live_SECRETKEY_abcdef123456"
)

func docError(msg, code string) string {
	return fmt.Sprintf(`{"success": false, "data": null, "error": {"message": %q, "code": %q}}`, msg, code)
}

func newClock() *fakeclock.Clock { return fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) }

// mockClient returns a client whose HTTP goes to an httpmock transport, on
// the cache's production clock: tests that compare times run inside a
// testing/synctest bubble, where time stands still until they sleep.
func mockClient(t *testing.T, opts ...crovver.Option) (*crovver.Client, *httpmock.MockTransport, *tokencache.Cache) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	cache := tokencache.New()
	t.Cleanup(func() { cache.Close() })
	c, err := crovver.New(publicKey, append([]crovver.Option{
		crovver.WithHTTPClient(&http.Client{Transport: mt}), crovver.WithCache(cache),
	}, opts...)...)
	require.NoError(t, err)
	return c, mt, cache
}

func respond(status int, body string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(status, body)
		r.Header.Set("Content-Type", "application/json")
		return r, nil
	}
}

var fullRequest = crovver.CheckoutTokenRequest{
	ExternalTenantID:   "tenant_42",
	ReturnURL:          "https://app.example.com/billing/done",
	ExternalUserID:     "user_7",
	ExternalTenantName: "Acme",
	RequiredFeature:    "sso",
	RequiredPlan:       "pro",
	Metadata:           map[string]any{"userEmail": "ada@example.com", "userName": "Ada", "seats": 5},
}

func TestContractCheckoutRequestShape(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mt, clk := mockClient(t)
		mt.RegisterResponder(http.MethodPost, checkoutURL, func(r *http.Request) (*http.Response, error) {
			assert.Equal(t, publicKey, r.Header.Get("x-public-key"))
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			assert.Empty(t, r.Header.Get("Authorization"))
			body, _ := io.ReadAll(r.Body)
			assert.JSONEq(t, `{"externalTenantId":"tenant_42","returnUrl":"https://app.example.com/billing/done",
				"externalUserId":"user_7","externalTenantName":"Acme","requiredFeature":"sso","requiredPlan":"pro",
				"metadata":{"userEmail":"ada@example.com","userName":"Ada","seats":5}}`, string(body))
			return respond(201, docCheckout)(r)
		})
		tok, err := c.CheckoutToken(context.Background(), fullRequest)
		require.NoError(t, err)
		assert.Equal(t, "eyJhbGciOiJIUzI1NiJ9...", tok.Token)
		assert.Equal(t, "https://portal.crovver.com/pricing?token=eyJhbGci...", tok.CheckoutURL)
		assert.Equal(t, clk.Now().Add(600*time.Second), tok.ExpiresAt, "receipt + expiresIn, not the past expiresAt")
		assert.Equal(t, 600*time.Second, tok.ExpiresIn)
	})
}

func TestContractOptionalFieldsOmitted(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodPost, checkoutURL, func(r *http.Request) (*http.Response, error) {
		body, _ := io.ReadAll(r.Body)
		assert.JSONEq(t, `{"externalTenantId":"t","returnUrl":"https://x.example/r"}`, string(body))
		return respond(201, docCheckout)(r)
	})
	_, err := c.CheckoutToken(context.Background(), crovver.CheckoutTokenRequest{ExternalTenantID: "t", ReturnURL: "https://x.example/r", Metadata: map[string]any{}})
	require.NoError(t, err)
}

func TestContractPortal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mt, clk := mockClient(t)
		mt.RegisterResponder(http.MethodPost, portalURL, func(r *http.Request) (*http.Response, error) {
			body, _ := io.ReadAll(r.Body)
			assert.JSONEq(t, `{"externalTenantId":"t","returnUrl":"https://x.example/r","metadata":{"a":"b"}}`, string(body))
			return respond(201, docPortal)(r)
		})
		tok, err := c.PortalToken(context.Background(), crovver.PortalTokenRequest{ExternalTenantID: "t", ReturnURL: "https://x.example/r", Metadata: map[string]any{"a": "b"}})
		require.NoError(t, err)
		assert.Equal(t, "https://portal.crovver.com/billing?token=eyJhbGci...", tok.PortalURL)
		assert.Equal(t, clk.Now().Add(10*time.Minute), tok.ExpiresAt)
	})
}

func TestContractErrorCodes(t *testing.T) {
	cases := []struct {
		status int
		code   string
		want   []error
	}{
		{400, "MISSING_PUBLIC_KEY", []error{crovver.ErrInvalidRequest}},
		{400, "MISSING_REQUIRED_FIELDS", []error{crovver.ErrInvalidRequest}},
		{401, "INVALID_PUBLIC_KEY", []error{crovver.ErrUnauthorized}},
		{404, "TENANT_NOT_FOUND", []error{crovver.ErrNotFound, crovver.ErrTenantNotFound}},
		{404, "NO_ACTIVE_SUBSCRIPTION", []error{crovver.ErrNotFound, crovver.ErrNoActiveSubscription}},
		// A 2xx with "success": false is an error too, typed by its code.
		{200, "INVALID_PUBLIC_KEY", []error{crovver.ErrUnauthorized}},
		{201, "TENANT_NOT_FOUND", []error{crovver.ErrTenantNotFound}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.status, tc.code), func(t *testing.T) {
			c, mt, _ := mockClient(t)
			mt.RegisterResponder(http.MethodPost, checkoutURL, respond(tc.status, docError("Something about "+tc.code, tc.code)))
			_, err := c.CheckoutToken(context.Background(), fullRequest)
			var ae *crovver.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.code, ae.Code)
			assert.Equal(t, "Something about "+tc.code, ae.Message)
			for _, w := range tc.want {
				assert.ErrorIs(t, err, w)
			}
			assert.NotContains(t, err.Error(), publicKey)
			assert.Equal(t, 1, mt.GetTotalCallCount(), "errors are not retried")
		})
	}
}

func TestContractMisbehaving(t *testing.T) {
	for name, body := range map[string]string{
		"no token":            `{"success":true,"data":{"token":""},"meta":{"checkoutUrl":"https://p.example/x","expiresIn":600}}`,
		"no data":             `{"success":true,"meta":{"checkoutUrl":"https://p.example/x","expiresIn":600}}`,
		"no lifetime":         `{"success":true,"data":{"token":"t"},"meta":{"checkoutUrl":"https://p.example/x"}}`,
		"past expiresAt only": `{"success":true,"data":{"token":"t","expiresAt":"2025-01-01T00:10:00Z"},"meta":{"checkoutUrl":"https://p.example/x"}}`,
		"zero expiresIn":      `{"success":true,"data":{"token":"t"},"meta":{"checkoutUrl":"https://p.example/x","expiresIn":0}}`,
		"javascript URL":      `{"success":true,"data":{"token":"t"},"meta":{"checkoutUrl":"javascript:alert(1)","expiresIn":600}}`,
		"http URL":            `{"success":true,"data":{"token":"t"},"meta":{"checkoutUrl":"http://p.example/x","expiresIn":600}}`,
		"no URL":              `{"success":true,"data":{"token":"t"},"meta":{"expiresIn":600}}`,
		"no success":          `{"data":{"token":"t"},"meta":{"checkoutUrl":"https://p.example/x","expiresIn":600}}`,
		"truncated":           `{"success":true,"data":{"tok`,
	} {
		t.Run(name, func(t *testing.T) {
			c, mt, _ := mockClient(t)
			mt.RegisterResponder(http.MethodPost, checkoutURL, respond(201, body))
			_, err := c.CheckoutToken(context.Background(), fullRequest)
			require.ErrorIs(t, err, crovver.ErrUnexpectedResponse)
		})
	}
}

func TestContractFutureExpiresAtUsedWhenNoExpiresIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mt, clk := mockClient(t)
		exp := clk.Now().Add(7 * time.Minute).Format(time.RFC3339)
		mt.RegisterResponder(http.MethodPost, checkoutURL, respond(201,
			`{"success":true,"data":{"token":"t","expiresAt":"`+exp+`"},"meta":{"checkoutUrl":"https://p.example/x"}}`))
		tok, err := c.CheckoutToken(context.Background(), fullRequest)
		require.NoError(t, err)
		assert.Equal(t, clk.Now().Add(7*time.Minute), tok.ExpiresAt)
	})
}

// Real wire shapes beyond the docs (PROVIDERS.md, "What the providers really
// send"), verbatim.

// crovver-react's response types: the page URL inside data, no meta.
// expiresAt is 10 minutes after the start of a synctest bubble
// (2000-01-01T00:00:00Z), where the test runs.
const (
	reactCheckout = `{"success":true,"data":{"token":"eyJhbGciOiJIUzI1NiJ9.e30.sig","expiresAt":"2000-01-01T00:10:00Z","checkoutUrl":"https://portal.crovver.com/pricing?token=eyJhbGciOiJIUzI1NiJ9.e30.sig"}}`
	reactPortal   = `{"success":true,"data":{"token":"eyJhbGciOiJIUzI1NiJ9.e30.sig","expiresAt":"2000-01-01T00:10:00Z","portalUrl":"https://portal.crovver.com/billing?token=eyJhbGciOiJIUzI1NiJ9.e30.sig"}}`
)

func TestContractPageURLInsideData(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mt, clk := mockClient(t)
		mt.RegisterResponder(http.MethodPost, checkoutURL, respond(201, reactCheckout))
		mt.RegisterResponder(http.MethodPost, portalURL, respond(201, reactPortal))
		tok, err := c.CheckoutToken(context.Background(), fullRequest)
		require.NoError(t, err)
		assert.Equal(t, "https://portal.crovver.com/pricing?token=eyJhbGciOiJIUzI1NiJ9.e30.sig", tok.CheckoutURL)
		assert.Equal(t, clk.Now().Add(10*time.Minute), tok.ExpiresAt, "expiresAt used: no expiresIn anywhere")
		p, err := c.PortalToken(context.Background(), crovver.PortalTokenRequest{ExternalTenantID: "tenant_42", ReturnURL: "https://app.example.com/"})
		require.NoError(t, err)
		assert.Equal(t, "https://portal.crovver.com/billing?token=eyJhbGciOiJIUzI1NiJ9.e30.sig", p.PortalURL)
	})
}

func TestContractMetaURLWinsOverData(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodPost, checkoutURL, respond(201,
		`{"success":true,"data":{"token":"t1","checkoutUrl":"https://data.example/x"},"meta":{"checkoutUrl":"https://meta.example/x","expiresIn":600}}`))
	tok, err := c.CheckoutToken(context.Background(), fullRequest)
	require.NoError(t, err)
	assert.Equal(t, "https://meta.example/x", tok.CheckoutURL)
}

func TestContractMissingURLIsNamed(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodPost, checkoutURL, respond(201, `{"success":true,"data":{"token":"t1"},"meta":{"expiresIn":600}}`))
	mt.RegisterResponder(http.MethodPost, portalURL, respond(201, `{"success":true,"data":{"token":"t1","expiresIn":600}}`))
	_, err := c.CheckoutToken(context.Background(), fullRequest)
	require.ErrorIs(t, err, crovver.ErrUnexpectedResponse)
	assert.Contains(t, err.Error(), "no checkoutUrl in response")
	_, err = c.PortalToken(context.Background(), crovver.PortalTokenRequest{ExternalTenantID: "t", ReturnURL: "https://a.example/"})
	require.ErrorIs(t, err, crovver.ErrUnexpectedResponse)
	assert.Contains(t, err.Error(), "no portalUrl in response")
}

func TestContractTokenWithControlCharacters(t *testing.T) {
	for _, tok := range []string{`abc\u0000javascript:alert(1)`, `abc\ndef`, `abc def`} {
		c, mt, _ := mockClient(t)
		mt.RegisterResponder(http.MethodPost, checkoutURL, respond(201,
			`{"success":true,"data":{"token":"`+tok+`"},"meta":{"checkoutUrl":"https://p.example/x","expiresIn":600}}`))
		_, err := c.CheckoutToken(context.Background(), fullRequest)
		require.ErrorIs(t, err, crovver.ErrUnexpectedResponse, tok)
	}
}

func TestContractLifetimesAreBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mt, clk := mockClient(t)
		mt.RegisterResponder(http.MethodPost, checkoutURL, respond(201,
			`{"success":true,"data":{"token":"t1","expiresAt":"33715-01-01T00:00:00Z"},"meta":{"checkoutUrl":"https://p.example/x"}}`))
		tok, err := c.CheckoutToken(context.Background(), fullRequest)
		if err == nil { // a year past 9999 does not parse as RFC 3339: refused or clamped, never trusted
			assert.False(t, tok.ExpiresAt.After(clk.Now().Add(24*time.Hour)))
		}

		c, mt, clk = mockClient(t)
		far := clk.Now().AddDate(50, 0, 0).Format(time.RFC3339)
		mt.RegisterResponder(http.MethodPost, checkoutURL, respond(201,
			`{"success":true,"data":{"token":"t1","expiresAt":"`+far+`"},"meta":{"checkoutUrl":"https://p.example/x"}}`))
		tok, err = c.CheckoutToken(context.Background(), fullRequest)
		require.NoError(t, err)
		assert.Equal(t, clk.Now().Add(24*time.Hour), tok.ExpiresAt, "clamped to a day")

		for _, in := range []string{"9.3e9", "86401", "-5"} {
			c, mt, _ := mockClient(t)
			mt.RegisterResponder(http.MethodPost, checkoutURL, respond(201,
				`{"success":true,"data":{"token":"t1"},"meta":{"checkoutUrl":"https://p.example/x","expiresIn":`+in+`}}`))
			_, err := c.CheckoutToken(context.Background(), fullRequest)
			assert.ErrorIs(t, err, crovver.ErrUnexpectedResponse, in)
		}
	})
}
