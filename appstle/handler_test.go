package appstle_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
)

// resolveFromQuery stands in for a session lookup: ?as= names the outcome.
func resolveFromQuery(r *http.Request) (appstle.PortalTokenRequest, error) {
	as := r.URL.Query().Get("as")
	switch {
	case as == "":
		return appstle.PortalTokenRequest{}, fmt.Errorf("no session: %w", appstle.ErrUnauthorized)
	case as == "gone":
		return appstle.PortalTokenRequest{}, fmt.Errorf("session for a deleted account: %w", appstle.ErrNotFound)
	case as == "garbled":
		return appstle.PortalTokenRequest{}, fmt.Errorf("bad session cookie: %w", appstle.ErrInvalidRequest)
	case as == "mallory":
		return appstle.PortalTokenRequest{}, errors.New("customer belongs to someone else")
	case strings.HasPrefix(as, "email:"):
		return appstle.PortalTokenRequest{Email: strings.TrimPrefix(as, "email:")}, nil
	}
	return appstle.PortalTokenRequest{CustomerID: as}, nil
}

// warnLines returns the handler's refusals logged at Warn.
func warnLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		if m["level"] == "WARN" && m["msg"] == "checkoutkit handler refused" {
			out = append(out, m)
		}
	}
	return out
}

func TestPortalRedirectHandler(t *testing.T) {
	logger, logs := jsonLogs()
	srv := appstletest.NewServer()
	defer srv.Close()
	c, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()), appstle.WithLogger(logger))
	require.NoError(t, err)
	defer c.Close()
	h := c.PortalRedirectHandler(srv.URL(), resolveFromQuery) // a loopback "shop": the fake serves the portal page

	serve := func(method, as string) *httptest.ResponseRecorder {
		target := "/account/subscriptions"
		if as != "" {
			target += "?" + url.Values{"as": {as}}.Encode()
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"), as)
		assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"), as)
		return rec
	}

	for _, as := range []string{"12345", "gid://shopify/Customer/12345", "email:" + appstletest.Email} {
		rec := serve(http.MethodGet, as)
		require.Equal(t, http.StatusSeeOther, rec.Code, as)
		loc := rec.Header().Get("Location")
		tok := strings.TrimPrefix(loc, srv.URL()+"/tools/recurring/customer_portal?token=")
		require.NotEqual(t, loc, tok, loc)
		want, err := appstle.PortalURL(srv.URL(), mustUnescape(t, tok))
		require.NoError(t, err)
		assert.Equal(t, want, loc)
		resp, err := http.Get(loc)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, string(body), `<span id="customer">12345</span>`)
	}
	assert.Equal(t, http.StatusSeeOther, serve(http.MethodPost, "12345").Code)
	tokens := srv.PortalTokens()

	refusals := map[string]int{
		"":                          http.StatusUnauthorized, // resolve: ErrUnauthorized
		"gone":                      http.StatusNotFound,     // resolve: ErrNotFound
		"garbled":                   http.StatusBadRequest,   // resolve: ErrInvalidRequest
		"mallory":                   http.StatusForbidden,    // resolve: any other error
		"12a45":                     http.StatusBadRequest,   // resolve returned an invalid request
		"email:Ada <a@example.com>": http.StatusBadRequest,
		"999":                       http.StatusNotFound, // Appstle: no such customer id (404)
		"email:nobody@example.com":  http.StatusNotFound, // Appstle: 400 invalidCustomer
	}
	for as, want := range refusals {
		rec := serve(http.MethodGet, as)
		assert.Equal(t, want, rec.Code, as)
		assert.Equal(t, http.StatusText(want)+"\n", rec.Body.String(), as)
		assert.Empty(t, rec.Header().Get("Location"), as)
	}
	rec := serve(http.MethodPut, "12345")
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Equal(t, tokens, srv.PortalTokens(), "no refusal minted a token")

	warns := warnLines(t, logs.String())
	require.Len(t, warns, len(refusals)+1, "each refusal logged once at Warn")
	byStatus := map[float64]int{}
	for _, w := range warns {
		assert.Equal(t, "appstle.PortalRedirectHandler", w["handler"])
		assert.NotEmpty(t, w["reason"])
		byStatus[w["status"].(float64)]++
		if w["provider_status"] == float64(400) {
			assert.Equal(t, "invalidCustomer", w["provider_code"], "the provider's error is named")
		}
	}
	assert.Equal(t, map[float64]int{401: 1, 404: 3, 400: 3, 403: 1, 405: 1}, byStatus)
	out := logs.String()
	assert.Contains(t, out, `"field":"CustomerID"`)
	assert.Contains(t, out, `"field":"Email"`)
	assert.Contains(t, out, "customer belongs to someone else", "the callback's reason")
	assert.NotContains(t, out, appstletest.APIKey)
	assert.NotContains(t, out, "token=")
	assert.NotContains(t, out, "eyJ")
}

func mustUnescape(t *testing.T, s string) string {
	t.Helper()
	u, err := url.QueryUnescape(s)
	require.NoError(t, err)
	return u
}

func TestPortalRedirectHandlerAppstleFailing(t *testing.T) {
	logger, logs := jsonLogs()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"title":"Internal Server Error","status":500,"detail":"key `+r.Header.Get("X-API-Key")+` broke"}`)
	}))
	defer api.Close()
	c, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(api.URL), appstle.WithLogger(logger),
		appstle.WithRetryWait(time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	defer c.Close()
	h := c.PortalRedirectHandler("mystore.myshopify.com", resolveFromQuery)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/portal?as=12345", nil))
	assert.Equal(t, http.StatusBadGateway, rec.Code)
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"))
	assert.Equal(t, "Bad Gateway\n", rec.Body.String())
	warns := warnLines(t, logs.String())
	require.Len(t, warns, 1)
	assert.Equal(t, "provider error", warns[0]["reason"])
	assert.Equal(t, float64(500), warns[0]["provider_status"])
	assert.NotContains(t, logs.String(), appstletest.APIKey)
}

func TestPortalRedirectHandlerPanicsAtConstruction(t *testing.T) {
	srv := appstletest.NewServer()
	defer srv.Close()
	c, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer c.Close()
	assert.Panics(t, func() { c.PortalRedirectHandler("mystore.myshopify.com", nil) }, "nil resolve")
	for _, shop := range []string{"", "https://mystore.myshopify.com", "mystore.myshopify.com/x", "http://evil.example",
		"http://evil.example:8080", "http://127.0.0.1", "http://127.0.0.1:80/path", "http://user@127.0.0.1:80", "localhost"} {
		assert.Panics(t, func() { c.PortalRedirectHandler(shop, resolveFromQuery) }, shop)
	}
	assert.NotPanics(t, func() { c.PortalRedirectHandler("mystore.myshopify.com", resolveFromQuery) })
	assert.NotPanics(t, func() { c.PortalRedirectHandler(srv.URL(), resolveFromQuery) })
	assert.NotPanics(t, func() { c.PortalRedirectHandler("http://[::1]:7402", resolveFromQuery) })
}

// A loopback shop's port must be a port: "http://127.0.0.1:80.evil.example"
// or one with a backslash (which browsers read as a slash) is refused.
func TestLoopbackShopPortIsANumber(t *testing.T) {
	for _, shop := range []string{"http://127.0.0.1:80.evil.example", "http://127.0.0.1:abc", `http://127.0.0.1:80\evil.example`,
		"http://127.0.0.1:0", "http://127.0.0.1:65536", "http://127.0.0.1:+80", "http://127.0.0.1:080"} {
		_, err := appstle.PortalURL(shop, "t")
		assert.ErrorIs(t, err, appstle.ErrInvalidRequest, shop)
	}
	for _, shop := range []string{"http://127.0.0.1:7402", "http://localhost:1", "http://[::1]:65535"} {
		u, err := appstle.PortalURL(shop, "t")
		require.NoError(t, err, shop)
		assert.Equal(t, shop+"/tools/recurring/customer_portal?token=t", u)
	}
}
