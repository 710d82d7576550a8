package altpay_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// The web SDK's loop, without a browser: a checkout token from
// RefreshHandler pays on the fake's browser-facing API; once the provider
// expires it, the page sends it back as expiredToken and gets a new one
// (once the token is older than RefreshMinAge: the cache's clock moves on).
func TestRefreshHandlerReplacesAnExpiredToken(t *testing.T) {
	srv := altpaytest.NewServer(altpaytest.WithAllowedOrigin("http://shop.localhost"))
	defer srv.Close()
	clk := fakeclock.New(time.Now())
	cache := tokencache.New(tokencache.WithClock(clk.Now))
	defer cache.Close()
	c, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()), altpay.WithCache(cache))
	require.NoError(t, err)
	defer c.Close()
	h := c.RefreshHandler(func(*http.Request) (altpay.CheckoutTokenRequest, error) {
		return altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"}, nil
	})
	refresh := func(body string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/checkout/token", strings.NewReader(body)))
		require.Equal(t, http.StatusOK, rec.Code)
		var v struct{ Token string }
		require.NoError(t, json.NewDecoder(rec.Body).Decode(&v))
		return v.Token
	}
	pay := func(tok string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/v1/checkout/pay", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Origin", "http://shop.localhost")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}

	first := refresh("")
	assert.Equal(t, first, refresh("{}"), "while fresh, the cached token")
	assert.Equal(t, 1, srv.CheckoutTokens())

	srv.ExpireCheckoutTokens()
	clk.Add(altpay.RefreshMinAge)
	resp := pay(first)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "http://shop.localhost", resp.Header.Get("Access-Control-Allow-Origin"))

	second := refresh(`{"expiredToken":"` + first + `"}`)
	assert.NotEqual(t, first, second)
	assert.Equal(t, 2, srv.CheckoutTokens(), "exactly one new mint")
	assert.Equal(t, second, refresh(`{"expiredToken":"`+first+`"}`), "a stale report does not drop the new token")
	assert.Equal(t, http.StatusOK, pay(second).StatusCode)
	assert.Equal(t, 1, srv.Payments())

	// CORS: a preflight from the allowed origin only.
	req, _ := http.NewRequest(http.MethodOptions, srv.URL()+"/v1/checkout/pay", nil)
	req.Header.Set("Origin", "http://evil.localhost")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
}
