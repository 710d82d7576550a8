package altpay_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var bg = context.Background()

const (
	base      = "https://public-api.alternativepayments.io"
	clientID  = "ap_live_client"
	secret    = "s3cr+t/VALUE==" // characters x/oauth2 would form-encode
	docAccess = `{"access_token": "opaque-access-token-123", "expires_in": 3600, "token_type": "bearer"}`
)

// newClock is a fake provider's clock, standing at the real time (to the
// second, as RFC 3339 expiries are): the clients' caches run on their
// production clock, so times are compared within a second or two.
func newClock() *fakeclock.Clock { return fakeclock.New(time.Now().UTC().Truncate(time.Second)) }

// near is how far a time computed on the cache's real clock may be from
// the test's expectation.
const near = 2 * time.Second

// newCache is a cache on the production clock (no WithClock): provider
// tests exercise the path users run.
func newCache(t *testing.T) *tokencache.Cache {
	c := tokencache.New()
	t.Cleanup(func() { c.Close() })
	return c
}

func mockClient(t *testing.T) (*altpay.Client, *httpmock.MockTransport, *fakeclock.Clock) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	clk := newClock()
	c, err := altpay.New(clientID, secret, altpay.WithHTTPClient(&http.Client{Transport: mt}), altpay.WithCache(newCache(t)))
	require.NoError(t, err)
	return c, mt, clk
}

func respond(status int, body string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(status, body)
		r.Header.Set("Content-Type", "application/json")
		return r, nil
	}
}

func jwtFor(t *testing.T, claims jwt.MapClaims) string {
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("k"))
	require.NoError(t, err)
	return s
}

func TestContractOAuthRequest(t *testing.T) {
	c, mt, clk := mockClient(t)
	mt.RegisterResponder(http.MethodPost, base+"/oauth/token", func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte(clientID+":"+secret)), r.Header.Get("Authorization"))
		assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
		body, _ := io.ReadAll(r.Body)
		assert.Equal(t, "grant_type=client_credentials", string(body))
		return respond(200, docAccess)(r)
	})
	tok, err := c.AccessToken(bg)
	require.NoError(t, err)
	assert.Equal(t, "opaque-access-token-123", tok.Value)
	assert.Equal(t, "Bearer", tok.Type)
	assert.WithinDuration(t, clk.Now().Add(time.Hour), tok.ExpiresAt, near)
}

func TestContractBadCredentials(t *testing.T) {
	for _, status := range []int{403, 401} {
		c, mt, _ := mockClient(t)
		mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(status, `{"message": "Invalid credentials"}`))
		_, err := c.AccessToken(bg)
		require.ErrorIs(t, err, altpay.ErrUnauthorized)
		var ae *altpay.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "Invalid credentials", ae.Message)
		assert.Equal(t, 1, mt.GetTotalCallCount(), "never retried")
		assert.NotContains(t, err.Error(), secret)
	}
}

func TestContractInitRequestAndExpirySources(t *testing.T) {
	now := newClock().Now()
	exp := now.Add(20 * time.Minute)
	claims := jwt.MapClaims{"partner_id": "p1", "client_id": clientID, "customer_id": "cus_1", "invoice_id": "inv_1", "exp": exp.Unix()}
	cases := map[string]struct {
		body string
		want time.Time
	}{
		"expires_at RFC 3339":   {`{"token": %q, "expires_at": "` + now.Add(10*time.Minute).Format(time.RFC3339) + `"}`, now.Add(10 * time.Minute)},
		"expires_at unix":       {`{"token": %q, "expires_at": ` + fmt.Sprint(now.Add(10*time.Minute).Unix()) + `}`, now.Add(10 * time.Minute)},
		"expires_in":            {`{"token": %q, "expires_in": 300}`, now.Add(5 * time.Minute)},
		"exp claim":             {`{"token": %q}`, exp},
		"expires_at over claim": {`{"token": %q, "expires_at": "` + now.Add(5*time.Minute).Format(time.RFC3339) + `", "expires_in": 900}`, now.Add(5 * time.Minute)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, mt, _ := mockClient(t)
			mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, docAccess))
			tok := jwtFor(t, claims)
			mt.RegisterResponder(http.MethodPost, base+"/v1/checkout-auth/init", func(r *http.Request) (*http.Response, error) {
				assert.Equal(t, "Bearer opaque-access-token-123", r.Header.Get("Authorization"))
				body, _ := io.ReadAll(r.Body)
				assert.JSONEq(t, `{"customer_id":"cus_1","invoice_id":"inv_1"}`, string(body))
				return respond(200, fmt.Sprintf(tc.body, tok))(r)
			})
			ct, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"})
			require.NoError(t, err)
			assert.Equal(t, tok, ct.Token)
			assert.WithinDuration(t, tc.want, ct.ExpiresAt, near)
			assert.Equal(t, altpay.CheckoutClaims{PartnerID: "p1", ClientID: clientID, CustomerID: "cus_1", InvoiceID: "inv_1", ExpiresAt: exp}, withUTC(ct.Claims))
		})
	}
}

func withUTC(c altpay.CheckoutClaims) altpay.CheckoutClaims {
	c.ExpiresAt = c.ExpiresAt.UTC()
	return c
}

func TestContractInitErrorsAndMismatch(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, docAccess))
	mt.RegisterResponder(http.MethodPost, base+"/v1/checkout-auth/init", respond(400, `{"error": {"message": "invalid invoice id"}}`))
	_, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i"})
	var ae *altpay.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "invalid invoice id", ae.Message)
	assert.ErrorIs(t, err, altpay.ErrInvalidRequest)

	mt.RegisterResponder(http.MethodPost, base+"/v1/checkout-auth/init", respond(422, `{"message": "Validation failed", "errors": [{"field": "invoice_id", "message": "is closed"}]}`))
	_, err = c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i2"})
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "Validation failed; invoice_id: is closed", ae.Message)

	other := jwtFor(t, jwt.MapClaims{"customer_id": "c", "invoice_id": "someone-elses", "exp": time.Now().Add(time.Hour).Unix()})
	mt.RegisterResponder(http.MethodPost, base+"/v1/checkout-auth/init", respond(200, `{"token": "`+other+`", "expires_in": 600}`))
	_, err = c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i3"})
	require.ErrorIs(t, err, altpay.ErrUnexpectedResponse)

	mt.RegisterResponder(http.MethodPost, base+"/v1/checkout-auth/init", respond(200, `{"token": "opaque"}`))
	_, err = c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i4"})
	require.ErrorIs(t, err, altpay.ErrUnexpectedResponse, "no expiry anywhere")
}

// fake starts altpaytest with a shared fake clock.
func fake(t *testing.T, srvOpts ...altpaytest.Option) (*altpay.Client, *altpaytest.Server, *fakeclock.Clock) {
	t.Helper()
	clk := newClock()
	srv := altpaytest.NewServer(append([]altpaytest.Option{altpaytest.WithClock(clk.Now)}, srvOpts...)...)
	t.Cleanup(srv.Close)
	c, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()),
		altpay.WithCache(newCache(t)), altpay.WithMaxRetryAfter(10*time.Millisecond))
	require.NoError(t, err)
	return c, srv, clk
}

func TestValidationSendsNothing(t *testing.T) {
	c, srv, _ := fake(t)
	_, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{InvoiceID: "i"})
	require.ErrorIs(t, err, altpay.ErrInvalidRequest)
	assert.Contains(t, err.Error(), "CustomerID")
	_, err = c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: " "})
	require.ErrorIs(t, err, altpay.ErrInvalidRequest)
	assert.Contains(t, err.Error(), "InvoiceID")
	assert.Equal(t, 0, srv.TokenRequests())

	for _, args := range [][2]string{{"", "s"}, {"id", ""}} {
		_, err := altpay.New(args[0], args[1])
		assert.ErrorIs(t, err, altpay.ErrInvalidRequest)
	}
	_, err = altpay.New("id", "s", altpay.WithBaseURL("http://public-api.alternativepayments.io"))
	assert.ErrorIs(t, err, altpay.ErrInvalidRequest)
}

func TestOneOAuthCallForManyCheckoutTokens(t *testing.T) {
	c, srv, clk := fake(t, altpaytest.WithRateLimit(0))
	for i := range 10 {
		tok, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: fmt.Sprint("inv_", i)})
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint("inv_", i), tok.Claims.InvoiceID)
		assert.Equal(t, altpaytest.PartnerID, tok.Claims.PartnerID)
		assert.WithinDuration(t, clk.Now().Add(altpaytest.CheckoutLifetime), tok.ExpiresAt, near)
	}
	_, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_3"})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.TokenRequests())
	assert.Equal(t, 10, srv.CheckoutTokens(), "reused per (customer, invoice)")
}

func TestV1FallbackIsRemembered(t *testing.T) {
	c, srv, _ := fake(t, altpaytest.WithoutV1Prefix())
	_, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i1"})
	require.NoError(t, err)
	_, err = c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i2"})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.CheckoutTokenRequests("/v1/checkout-auth/init"), "404 once")
	assert.Equal(t, 2, srv.CheckoutTokenRequests("/checkout-auth/init"))

	c2, srv2, _ := fake(t)
	_, err = c2.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i1"})
	require.NoError(t, err)
	assert.Equal(t, 0, srv2.CheckoutTokenRequests("/checkout-auth/init"), "no fallback when /v1 works")
}

func TestRevokedAccessTokenRecovers(t *testing.T) {
	c, srv, _ := fake(t)
	_, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i1"})
	require.NoError(t, err)
	srv.RevokeTokens(altpaytest.ClientID)
	_, err = c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i2"})
	require.NoError(t, err)
	assert.Equal(t, 2, srv.TokenRequests())
}

func TestDoRefreshesOnce(t *testing.T) {
	c, srv, _ := fake(t)
	_, err := c.AccessToken(bg)
	require.NoError(t, err)
	srv.RevokeTokens(altpaytest.ClientID)
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/v1/checkout-auth/init", strings.NewReader(`{"customer_id":"c","invoice_id":"i"}`))
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 2, srv.TokenRequests())
}

func TestBadCredentialsOnFake(t *testing.T) {
	_, srv, _ := fake(t)
	bad, err := altpay.New(altpaytest.ClientID, "wrong-secret-xyz", altpay.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer bad.Close()
	_, err = bad.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i"})
	require.ErrorIs(t, err, altpay.ErrUnauthorized)
	assert.Equal(t, 1, srv.TokenRequests())
	assert.NotContains(t, err.Error(), "wrong-secret-xyz")
}

func TestRateLimitBacksOff(t *testing.T) {
	c, srv, clk := fake(t, altpaytest.WithRateLimit(2))
	_, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i1"}) // oauth + init: 2 calls
	require.NoError(t, err)
	_, err = c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i2"})
	require.ErrorIs(t, err, altpay.ErrRateLimited)
	var ae *altpay.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, time.Second, ae.RetryAfter)
	calls := srv.CheckoutTokenRequests("/v1/checkout-auth/init")
	_, err = c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i2"})
	require.ErrorIs(t, err, tokencache.ErrBackoff)
	assert.Equal(t, calls, srv.CheckoutTokenRequests("/v1/checkout-auth/init"), "the cache held the key back")
	clk.Add(2 * time.Second) // past the fake's window; the cache's backoff runs on real time
	require.Eventually(t, func() bool {
		_, err = c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i2"})
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "past the backoff")
}

func TestRefreshHandler(t *testing.T) {
	c, srv, _ := fake(t, altpaytest.WithRateLimit(0))
	errNoSession := fmt.Errorf("no session: %w", altpay.ErrUnauthorized)
	h := c.RefreshHandler(func(r *http.Request) (altpay.CheckoutTokenRequest, error) {
		switch r.Header.Get("X-User") {
		case "":
			return altpay.CheckoutTokenRequest{}, errNoSession
		case "mallory":
			return altpay.CheckoutTokenRequest{}, errors.New("invoice belongs to someone else")
		}
		return altpay.CheckoutTokenRequest{CustomerID: "cus_" + r.Header.Get("X-User"), InvoiceID: "inv_1"}, nil
	})
	do := func(method, user string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/checkout/token", nil)
		if user != "" {
			req.Header.Set("X-User", user)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := do(http.MethodPost, "ada")
	require.Equal(t, 200, rec.Code)
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var out struct{ Token, ExpiresAt string }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
	assert.NotEmpty(t, out.Token)
	_, err := time.Parse(time.RFC3339, out.ExpiresAt)
	assert.NoError(t, err)

	assert.Equal(t, http.StatusMethodNotAllowed, do(http.MethodGet, "ada").Code)
	assert.Equal(t, http.StatusUnauthorized, do(http.MethodPost, "").Code)
	rec = do(http.MethodPost, "mallory")
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.NotContains(t, rec.Body.String(), "token")

	srv.RevokeTokens(altpaytest.ClientID)
	bad, err := altpay.New(altpaytest.ClientID, "nope-nope", altpay.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer bad.Close()
	rec = httptest.NewRecorder()
	bad.RefreshHandler(func(*http.Request) (altpay.CheckoutTokenRequest, error) {
		return altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i"}, nil
	}).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	assert.Equal(t, http.StatusBadGateway, rec.Code)
	assert.Equal(t, "Bad Gateway\n", rec.Body.String())
}

func TestSecretsNeverPrinted(t *testing.T) {
	c, _, _ := fake(t)
	tok, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i"})
	require.NoError(t, err)
	access, err := c.AccessToken(bg)
	require.NoError(t, err)
	for _, out := range []string{
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", *c), fmt.Sprintf("%#v", c),
		fmt.Sprintf("%v", tok), fmt.Sprintf("%+v", *tok), fmt.Sprintf("%#v", *tok), fmt.Sprintf("%v", access),
	} {
		assert.NotContains(t, out, altpaytest.ClientSecret)
		assert.NotContains(t, out, tok.Token[:20])
		assert.NotContains(t, out, access.Value)
	}
}
