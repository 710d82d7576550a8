package cartevo_test

// Contract tests: the documented request shape, and every documented
// example payload from PROVIDERS.md decoded verbatim.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

const (
	docToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJlY2E1ZTk4Mi0wMGI1LTRhYTItYjcwOS03ZDVjZDY3M2U5NWMiLCJjb21wYW55SWQiOiJlY2E1ZTk4Mi0wMGI1LTRhYTItYjcwOS03ZDVjZDY3M2U5NWMiLCJjbGllbnRJZCI6ImNsaWVudF91dGtxNnV5MnB0IiwiaWF0IjoxNzYyMTY4MDIzLCJleHAiOjE3NjIxNzE2MjN9.hloSSSPJ2WFa31s41BL1nqhemuwHCJKC_wcwVupsBlU"

	docSuccess = `{
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJlY2E1ZTk4Mi0wMGI1LTRhYTItYjcwOS03ZDVjZDY3M2U5NWMiLCJjb21wYW55SWQiOiJlY2E1ZTk4Mi0wMGI1LTRhYTItYjcwOS03ZDVjZDY3M2U5NWMiLCJjbGllbnRJZCI6ImNsaWVudF91dGtxNnV5MnB0IiwiaWF0IjoxNzYyMTY4MDIzLCJleHAiOjE3NjIxNzE2MjN9.hloSSSPJ2WFa31s41BL1nqhemuwHCJKC_wcwVupsBlU",
    "token_type": "Bearer",
    "expires_in": 3600
  }`

	docError = `{"message": "Invalid client credentials", "error":
  "Unauthorized", "statusCode": 401}`

	tokenURL = "https://api.cartevo.co/api/v1/auth/token"
	clientID = "client_utkq6uy2pt"
	secret   = "ck_live_TOPSECRET_0123456789"
)

func newClock() *fakeclock.Clock { return fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) }

// mockClient returns a client whose HTTP goes to an httpmock transport.
// mockClient returns a client whose HTTP goes to an httpmock transport, on
// the cache's production clock: tests that compare times run inside a
// testing/synctest bubble, where time stands still until they sleep.
func mockClient(t *testing.T, opts ...cartevo.Option) (*cartevo.Client, *httpmock.MockTransport, *tokencache.Cache) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	cache := tokencache.New()
	t.Cleanup(func() { cache.Close() })
	c, err := cartevo.New(clientID, secret, append([]cartevo.Option{
		cartevo.WithHTTPClient(&http.Client{Transport: mt}),
		cartevo.WithCache(cache),
		cartevo.WithMaxRetryAfter(time.Millisecond),
	}, opts...)...)
	require.NoError(t, err)
	return c, mt, cache
}

func jsonResponder(status int, body string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(status, body)
		r.Header.Set("Content-Type", "application/json")
		return r, nil
	}
}

func TestContractTokenRequestShape(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mt, clk := mockClient(t)
		mt.RegisterResponder(http.MethodPost, tokenURL, func(r *http.Request) (*http.Response, error) {
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			assert.Empty(t, r.Header.Get("Authorization"), "no Authorization header on /auth/token")
			assert.True(t, strings.HasPrefix(r.Header.Get("User-Agent"), "checkoutkit-go/"))
			assert.Empty(t, r.URL.RawQuery)
			body, _ := io.ReadAll(r.Body)
			assert.JSONEq(t, `{"client_id":"client_utkq6uy2pt","client_key":"ck_live_TOPSECRET_0123456789"}`, string(body))
			var fields map[string]any
			require.NoError(t, json.Unmarshal(body, &fields))
			assert.Len(t, fields, 2, "exactly two fields: Cartevo rejects unknown ones")
			return jsonResponder(200, docSuccess)(r)
		})

		tok, err := c.AccessToken(context.Background())
		require.NoError(t, err)
		assert.Equal(t, docToken, tok.Value)
		assert.Equal(t, "Bearer", tok.Type)
		assert.Equal(t, clk.Now().Add(3600*time.Second), tok.ExpiresAt, "receipt time + expires_in")
		assert.Equal(t, 1, mt.GetTotalCallCount())
	})
}

func TestContractDocumentedErrorDecodes(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodPost, tokenURL, jsonResponder(401, docError))
	_, err := c.AccessToken(context.Background())
	require.ErrorIs(t, err, cartevo.ErrUnauthorized)
	var ae *cartevo.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 401, ae.StatusCode)
	assert.Equal(t, "Invalid client credentials", ae.Message)
	assert.Equal(t, "cartevo", ae.Provider)
	assert.Equal(t, "cartevo: POST /api/v1/auth/token: 401 Unauthorized: Invalid client credentials", ae.Error())
	assert.NotContains(t, err.Error(), "TOPSECRET")
	assert.Equal(t, 1, mt.GetTotalCallCount(), "401 is not retried")
}

func TestContract400MessageArray(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodPost, tokenURL, jsonResponder(400,
		`{"message":["client_id should not be empty","property extra should not exist"],"error":"Bad Request","statusCode":400}`))
	_, err := c.AccessToken(context.Background())
	require.ErrorIs(t, err, cartevo.ErrInvalidRequest)
	var ae *cartevo.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "client_id should not be empty; property extra should not exist", ae.Message)
}

func TestContractLifetimeIsNeverHardCoded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mt, clk := mockClient(t)
		mt.RegisterResponder(http.MethodPost, tokenURL, jsonResponder(200,
			`{"access_token":"a.b.c","token_type":"Bearer","expires_in":86400}`))
		tok, err := c.AccessToken(context.Background())
		require.NoError(t, err)
		assert.Equal(t, clk.Now().Add(24*time.Hour), tok.ExpiresAt)
	})
}

func TestContractMisbehavingProvider(t *testing.T) {
	cases := map[string]struct {
		status      int
		contentType string
		body        string
		want        error
	}{
		"HTML page":         {200, "text/html", "<html><body>Maintenance</body></html>", cartevo.ErrUnexpectedResponse},
		"truncated JSON":    {200, "application/json", `{"access_token":"abc","expires_in":36`, cartevo.ErrUnexpectedResponse},
		"empty token":       {200, "application/json", `{"access_token":"","token_type":"Bearer","expires_in":3600}`, cartevo.ErrUnexpectedResponse},
		"missing lifetime":  {200, "application/json", `{"access_token":"abc","token_type":"Bearer"}`, cartevo.ErrUnexpectedResponse},
		"zero lifetime":     {200, "application/json", `{"access_token":"abc","expires_in":0}`, cartevo.ErrUnexpectedResponse},
		"negative lifetime": {200, "application/json", `{"access_token":"abc","expires_in":-60}`, cartevo.ErrUnexpectedResponse},
		"string lifetime":   {200, "application/json", `{"access_token":"abc","expires_in":"3600"}`, cartevo.ErrUnexpectedResponse},
		"array body":        {200, "application/json", `[]`, cartevo.ErrUnexpectedResponse},
		"huge body":         {200, "application/json", `{"access_token":"` + strings.Repeat("a", 2<<20) + `","expires_in":3600}`, cartevo.ErrResponseTooLarge},
		"HTML error page":   {403, "text/html", "<html>Forbidden by WAF</html>", cartevo.ErrUnauthorized},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, mt, _ := mockClient(t)
			mt.RegisterResponder(http.MethodPost, tokenURL, func(*http.Request) (*http.Response, error) {
				r := httpmock.NewStringResponse(tc.status, tc.body)
				r.Header.Set("Content-Type", tc.contentType)
				return r, nil
			})
			_, err := c.AccessToken(context.Background())
			require.ErrorIs(t, err, tc.want)
			assert.NotContains(t, err.Error(), "Maintenance", "body never quoted")
			assert.NotContains(t, err.Error(), "aaaa")
			assert.Less(t, len(err.Error()), 300)
		})
	}
}

func TestContractDroppedConnection(t *testing.T) {
	c, mt, _ := mockClient(t, cartevo.WithMaxAttempts(2))
	mt.RegisterResponder(http.MethodPost, tokenURL, httpmock.NewErrorResponder(io.ErrUnexpectedEOF))
	_, err := c.AccessToken(context.Background())
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, 2, mt.GetTotalCallCount(), "network errors are retried")
	assert.NotContains(t, err.Error(), "TOPSECRET")
}

func TestContractEnvelope(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodPost, tokenURL, jsonResponder(200, docSuccess))
	mt.RegisterResponder(http.MethodGet, "https://api.cartevo.co/api/v1/wallets", func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, "Bearer "+docToken, r.Header.Get("Authorization"))
		return jsonResponder(200, `{"success":true,"statusCode":200,"message":"ok","data":[{"id":"w1"}]}`)(r)
	})
	mt.RegisterResponder(http.MethodPost, "https://api.cartevo.co/api/v1/cards", jsonResponder(200,
		`{"success":false,"statusCode":422,"message":"Insufficient balance","data":null}`))

	var wallets []struct{ ID string }
	require.NoError(t, c.Call(context.Background(), http.MethodGet, "/wallets", nil, &wallets))
	assert.Equal(t, "w1", wallets[0].ID)

	err := c.Call(context.Background(), http.MethodPost, "/cards", map[string]string{"a": "b"}, nil)
	var ae *cartevo.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 422, ae.StatusCode)
	assert.Equal(t, "Insufficient balance", ae.Message)
	assert.ErrorIs(t, err, cartevo.ErrInvalidRequest)
}

func TestDecodeEnvelopeLeavesTheResponseAlone(t *testing.T) {
	c, _, _ := mockClient(t)
	resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"success":false,"statusCode":422,"message":"Insufficient balance"}`))}
	err := c.DecodeEnvelope(resp, nil)
	var ae *cartevo.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 422, ae.StatusCode)
	assert.Equal(t, "Insufficient balance", ae.Message)
	assert.Equal(t, 200, resp.StatusCode, "the caller's response is not rewritten")

	// A response built by hand (no Request) that breaks off mid-body is an
	// error, not a nil dereference.
	resp = &http.Response{StatusCode: 200, Body: io.NopCloser(io.MultiReader(strings.NewReader(`{"succ`), iotest.ErrReader(io.ErrUnexpectedEOF)))}
	require.ErrorIs(t, c.DecodeEnvelope(resp, nil), io.ErrUnexpectedEOF)
}

// Real wire shapes beyond the docs (PROVIDERS.md, "What the providers
// really send"), verbatim.
func TestEnvelopeShapes(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want error
	}{
		// Cartevo's backend, global envelope switched off (GET /wallets).
		"data only":     {`{"data":[{"id":"wal_1","currency":"XAF"}]}`, nil},
		"envelope":      {`{"success":true,"statusCode":200,"message":"ok","data":[{"id":"wal_1","currency":"XAF"}]}`, nil},
		"success false": {`{"success":false,"statusCode":404,"message":"Wallet not found","data":null}`, cartevo.ErrNotFound},
		"neither":       {`{"items":[]}`, cartevo.ErrUnexpectedResponse},
		"not an object": {`[1,2]`, cartevo.ErrUnexpectedResponse},
	} {
		t.Run(name, func(t *testing.T) {
			c, mt, _ := mockClient(t)
			mt.RegisterResponder(http.MethodPost, tokenURL, jsonResponder(200, docSuccess))
			mt.RegisterResponder(http.MethodGet, "https://api.cartevo.co/api/v1/wallets", jsonResponder(200, tc.body))
			var out []wallet
			err := c.Call(bg, http.MethodGet, "/wallets", nil, &out)
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, []wallet{{ID: "wal_1", Currency: "XAF"}}, out)
				return
			}
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestRealErrorShapes(t *testing.T) {
	// NestJS ValidationPipe, as Cartevo's backend answers a bad token body.
	const validation = `{"message":["client_id must be a string","client_id should not be empty"],"error":"Bad Request","statusCode":400}`
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodPost, tokenURL, jsonResponder(400, validation))
	_, err := c.AccessToken(bg)
	require.ErrorIs(t, err, cartevo.ErrInvalidRequest)
	assert.Contains(t, err.Error(), "client_id must be a string; client_id should not be empty")

	// NestJS ThrottlerException.
	c, mt, _ = mockClient(t)
	mt.RegisterResponder(http.MethodPost, tokenURL, func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(429, `{"statusCode":429,"message":"ThrottlerException: Too Many Requests"}`)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Retry-After", "60")
		return r, nil
	})
	_, err = c.AccessToken(bg)
	require.ErrorIs(t, err, cartevo.ErrRateLimited)
	assert.Contains(t, err.Error(), "ThrottlerException")
}
