package appstle_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// The documented example, verbatim.
const (
	docToken    = "eyJhbGciOiJIUzI1NiJ9.eyJjdXN0b21lcklkIjoxMjM0NSwic2hvcCI6Im15c3RvcmUubXlzaG9waWZ5LmNvbSIsInRpbWVzdGFtcCI6MTcwOTU2MjAwMH0.abc123xyz789"
	docResponse = `{
    "customerId": 12345,
    "token": "eyJhbGciOiJIUzI1NiJ9.eyJjdXN0b21lcklkIjoxMjM0NSwic2hvcCI6Im15c3RvcmUubXlzaG9waWZ5LmNvbSIsInRpbWVzdGFtcCI6MTcwOTU2MjAwMH0.abc123xyz789"
  }`
	docTimestamp = 1709562000
	tokenURL     = "https://subscription-admin.appstle.com/api/external/v2/customer-portal-token"
	apiKey       = "apst_live_SECRETKEY_0123456789"
)

// near is how far a time computed on the cache's real clock may be from a
// test's expectation.
const near = 2 * time.Second

// mockClient's cache runs on its production clock; clk stands at the time
// the test starts, for expectations (within near).
func mockClient(t *testing.T) (*appstle.Client, *httpmock.MockTransport, *fakeclock.Clock) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	clk := fakeclock.New(newClockAt())
	cache := tokencache.New()
	t.Cleanup(func() { cache.Close() })
	c, err := appstle.New(apiKey, appstle.WithHTTPClient(&http.Client{Transport: mt}), appstle.WithCache(cache))
	require.NoError(t, err)
	return c, mt, clk
}

func respond(status int, contentType, body string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(status, body)
		r.Header.Set("Content-Type", contentType)
		return r, nil
	}
}

// The documented example was issued in 2024 and has long expired on
// today's clock, so it is decoded inside a testing/synctest bubble, whose
// clock starts in 2000: before its issue time, so the token is served with
// receipt + 2 h at the most. Its own lifetime (timestamp + 2 h) is checked
// on the decoder (TestDocumentedTokenExpiry).
func TestContractRequestShapeAndDocumentedExample(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mt, _ := mockClient(t)
		mt.RegisterResponder(http.MethodGet, tokenURL, func(r *http.Request) (*http.Response, error) {
			assert.Equal(t, apiKey, r.Header.Get("X-API-Key"))
			assert.Equal(t, "customerId=12345", r.URL.RawQuery, "numeric form, no api_key in the URL")
			assert.NotContains(t, r.URL.String(), apiKey)
			return respond(200, "application/json", docResponse)(r)
		})
		tok, err := c.CustomerPortalToken(context.Background(), appstle.PortalTokenRequest{CustomerID: "gid://shopify/Customer/12345"})
		require.NoError(t, err)
		assert.Equal(t, int64(12345), tok.CustomerID)
		assert.Equal(t, docToken, tok.Token)
		assert.Equal(t, time.Now().Add(2*time.Hour), tok.ExpiresAt, "receipt + 2 h at the most")
	})
}

func TestContractEmailIsQueryEscaped(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodGet, tokenURL, func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, "email=ada%2Bsubs%40example.com", r.URL.RawQuery)
		assert.Equal(t, "ada+subs@example.com", r.URL.Query().Get("email"))
		return respond(200, "application/json", `{"customerId": 12345, "token": "opaque-token", "appstleExternalToken": "ext-1"}`)(r)
	})
	tok, err := c.CustomerPortalToken(context.Background(), appstle.PortalTokenRequest{Email: "ada+subs@example.com"})
	require.NoError(t, err)
	assert.Equal(t, "opaque-token", tok.Token, "an opaque token is not an error")
	assert.Equal(t, "ext-1", tok.ExternalToken)
}

func TestContractProblemJSON(t *testing.T) {
	for status, want := range map[int]error{400: appstle.ErrInvalidRequest, 401: appstle.ErrUnauthorized, 403: appstle.ErrUnauthorized, 404: appstle.ErrNotFound, 429: appstle.ErrRateLimited} {
		c, mt, _ := mockClient(t)
		mt.RegisterResponder(http.MethodGet, tokenURL, func(r *http.Request) (*http.Response, error) {
			resp, _ := respond(status, "application/problem+json", `{"title":"Oops","detail":"Customer not found"}`)(r)
			if status == 429 {
				resp.Header.Set("Retry-After", "30")
			}
			return resp, nil
		})
		_, err := c.CustomerPortalToken(context.Background(), appstle.PortalTokenRequest{CustomerID: "12345"})
		require.ErrorIs(t, err, want, status)
		var ae *appstle.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "Oops: Customer not found", ae.Message, "title, then detail")
		assert.NotContains(t, err.Error(), apiKey)
		if status == 429 {
			assert.Equal(t, 30*time.Second, ae.RetryAfter)
		}
	}
}

func TestContractErrorWithoutBody(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodGet, tokenURL, respond(404, "text/plain", ""))
	_, err := c.CustomerPortalToken(context.Background(), appstle.PortalTokenRequest{CustomerID: "12345"})
	var ae *appstle.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "Not Found", ae.Message)
}

func TestContractMisbehaving(t *testing.T) {
	for name, body := range map[string]string{
		"no token":         `{"customerId": 12345}`,
		"empty token":      `{"customerId": 12345, "token": ""}`,
		"no customer":      `{"token": "t"}`,
		"another customer": `{"customerId": 999, "token": "t"}`,
		"html":             `<html>`,
	} {
		t.Run(name, func(t *testing.T) {
			c, mt, _ := mockClient(t)
			mt.RegisterResponder(http.MethodGet, tokenURL, respond(200, "application/json", body))
			_, err := c.CustomerPortalToken(context.Background(), appstle.PortalTokenRequest{CustomerID: "12345"})
			require.ErrorIs(t, err, appstle.ErrUnexpectedResponse)
		})
	}
}

func newClockAt() time.Time { return time.Now().UTC().Truncate(time.Second) }

// Payloads Appstle really sends beyond its docs (PROVIDERS.md, "What the
// providers really send"), verbatim.
const (
	// Appstle's server source (JHipster): an e-mail it does not know is a
	// 400 problem+json, not a 404.
	jhipsterInvalidCustomer = `{"entityName":"","errorKey":"invalidCustomer","type":"https://www.jhipster.tech/problem/problem-with-message","title":"Customer Email does not exist","status":400,"message":"error.invalidCustomer","params":""}`
	// Spring Security's 401, in front of every Appstle endpoint.
	springUnauthorized = `{"title":"Unauthorized","status":401,"detail":"Full authentication is required to access this resource"}`
	// The manage-subscription link as Appstle's server builds it; its
	// tokenExpirationTime is "<ISO-8601, 7 days ahead, nanosecond
	// precision>", filled in by the test.
	serverManageLink = `{"manageSubscriptionLink":"https://mystore.myshopify.com/apps/subscriptions/cp/8f3c2a1e9b7d4c6f","tokenExpirationTime":"%s"}`
	// The magic-link endpoint's plain-text answer.
	magicLinkAnswer = "Email triggered successfully."

	manageURL = "https://subscription-admin.appstle.com/api/external/v2/manage-subscription-link/12345"
	magicURL  = "https://subscription-admin.appstle.com/api/external/v2/subscription-contracts-email-magic-link"
)

func TestContractJHipsterInvalidCustomer(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodGet, tokenURL, respond(400, "application/problem+json", jhipsterInvalidCustomer))
	_, err := c.PortalToken(context.Background(), appstle.PortalTokenRequest{Email: "nobody@example.com"})
	var ae *appstle.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 400, ae.StatusCode)
	assert.Equal(t, "Customer Email does not exist", ae.Message, "the title, not the i18n key")
	assert.Equal(t, "invalidCustomer", ae.Code)
	assert.ErrorIs(t, err, appstle.ErrNotFound)
	assert.ErrorIs(t, err, appstle.ErrInvalidRequest)
	assert.NotContains(t, err.Error(), "error.invalidCustomer")
	assert.Contains(t, err.Error(), "Customer Email does not exist")
}

func TestContractSpringUnauthorized(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodGet, tokenURL, respond(401, "application/json", springUnauthorized))
	_, err := c.PortalToken(context.Background(), appstle.PortalTokenRequest{CustomerID: "12345"})
	require.ErrorIs(t, err, appstle.ErrUnauthorized)
	var ae *appstle.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "Full authentication is required to access this resource", ae.Message, "the title only repeats the status")
	assert.Equal(t, "appstle: GET /api/external/v2/customer-portal-token: 401 Unauthorized: Full authentication is required to access this resource", err.Error())
	assert.NotContains(t, err.Error(), apiKey)
}

// PROVIDERS.md: portal tokens may be opaque (not JWTs); they then live
// receipt + 2 h.
func TestContractOpaqueTokenLivesTwoHoursFromReceipt(t *testing.T) {
	c, mt, clk := mockClient(t)
	mt.RegisterResponder(http.MethodGet, tokenURL, respond(200, "application/json", `{"customerId": 12345, "token": "8f3c2a1e9b7d4c6f0a1b2c3d4e5f6a7b"}`))
	tok, err := c.PortalToken(context.Background(), appstle.PortalTokenRequest{CustomerID: "12345"})
	require.NoError(t, err)
	assert.Equal(t, "8f3c2a1e9b7d4c6f0a1b2c3d4e5f6a7b", tok.Token)
	assert.WithinDuration(t, clk.Now().Add(2*time.Hour), tok.ExpiresAt, near)
	assert.InDelta(t, 2*time.Hour, tok.ExpiresIn, float64(near))
}

func TestContractServerManageLink(t *testing.T) {
	in7d := newClockAt().Add(7*24*time.Hour + 123456789)
	for name, stamp := range map[string]string{
		"Instant":       in7d.Format("2006-01-02T15:04:05.000000000Z"),
		"ZonedDateTime": in7d.Format("2006-01-02T15:04:05.000000000Z") + "[UTC]",
		"offset":        in7d.In(time.FixedZone("", 2*3600)).Format("2006-01-02T15:04:05.000000000-07:00"),
		"LocalDateTime": in7d.Format("2006-01-02T15:04:05.000000000"),
	} {
		t.Run(name, func(t *testing.T) {
			c, mt, _ := mockClient(t)
			mt.RegisterResponder(http.MethodGet, manageURL, func(r *http.Request) (*http.Response, error) {
				assert.Equal(t, apiKey, r.Header.Get("X-API-Key"))
				assert.Empty(t, r.URL.RawQuery, "no api_key in the URL")
				return respond(200, "application/json", fmt.Sprintf(serverManageLink, stamp))(r)
			})
			l, err := c.ManageSubscriptionLink(context.Background(), "gid://shopify/Customer/12345")
			require.NoError(t, err)
			assert.Equal(t, "https://mystore.myshopify.com/apps/subscriptions/cp/8f3c2a1e9b7d4c6f", l.Link)
			assert.Equal(t, int64(12345), l.CustomerID)
			assert.True(t, in7d.Equal(l.ExpiresAt), "got %v, want %v (about 7 days ahead)", l.ExpiresAt, in7d)
		})
	}
}

func TestContractMagicLinkPlainText(t *testing.T) {
	for _, ct := range []string{"text/plain;charset=UTF-8", "application/json"} {
		c, mt, _ := mockClient(t)
		mt.RegisterResponder(http.MethodGet, magicURL, func(r *http.Request) (*http.Response, error) {
			assert.Equal(t, apiKey, r.Header.Get("X-API-Key"))
			assert.Equal(t, "email=ada%2Bsubs%40example.com", r.URL.RawQuery, "the address only, never the key")
			return respond(200, ct, magicLinkAnswer)(r)
		})
		require.NoError(t, c.SendPortalMagicLink(context.Background(), "ada+subs@example.com"), ct)
		assert.Equal(t, 1, mt.GetTotalCallCount(), ct)
	}
}
