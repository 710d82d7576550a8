package crovver_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

func TestFakeCanPutTheURLInData(t *testing.T) {
	c, srv, _ := fakeClient(t, []crovvertest.Option{crovvertest.WithURLInData()})
	tok, err := c.CheckoutToken(bg, req("acme"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(tok.CheckoutURL, srv.URL()+"/pricing?token="), tok.CheckoutURL)
	assert.Equal(t, crovvertest.TokenLifetime, tok.ExpiresIn.Round(time.Second))
}

// A Store (shared with a compromised or older replica) handing out a token
// whose page URL is javascript: must never reach a Location header.
func TestStoredPageURLIsCheckedAgain(t *testing.T) {
	srv := crovvertest.NewServer()
	defer srv.Close()
	exp := time.Now().Add(time.Hour)
	for name, tok := range map[string]tokencache.Token{
		"javascript URL": {Value: "tok-1", ExpiresAt: exp, Extra: map[string]string{"page_url": "javascript:alert(1)"}},
		"NUL in token":   {Value: "tok\x00javascript:alert(1)", ExpiresAt: exp, Extra: map[string]string{"page_url": "https://p.example/x"}},
		"old packing":    {Value: "tok-1\x00https://p.example/x", ExpiresAt: exp},
	} {
		client := func() *crovver.Client {
			cache := tokencache.New(tokencache.WithStore(badStore{tokencache.Entry{Token: tok, RefreshAt: exp.Add(-5 * time.Minute)}}))
			t.Cleanup(func() { cache.Close() })
			c, err := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(srv.URL()), crovver.WithCache(cache))
			require.NoError(t, err)
			return c
		}
		_, err := client().CheckoutToken(bg, req("t"))
		assert.ErrorIs(t, err, crovver.ErrUnexpectedResponse, name)

		rec := httptest.NewRecorder()
		client().RedirectHandler(func(*http.Request) (crovver.CheckoutTokenRequest, error) { return req("t"), nil }).
			ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/upgrade", nil))
		assert.Equal(t, http.StatusBadGateway, rec.Code, name)
		assert.Empty(t, rec.Header().Get("Location"), name)
	}
}

func TestPortalRedirectHandler(t *testing.T) {
	var logs bytes.Buffer
	c, srv, _ := fakeClient(t, []crovvertest.Option{crovvertest.WithSubscription("acme", "pro")},
		crovver.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	h := c.PortalRedirectHandler(func(r *http.Request) (crovver.PortalTokenRequest, error) {
		tenant := r.URL.Query().Get("as")
		if tenant == "" {
			return crovver.PortalTokenRequest{}, crovver.ErrUnauthorized
		}
		return crovver.PortalTokenRequest{ExternalTenantID: tenant, ReturnURL: "https://app.example.com/account"}, nil
	})
	for target, want := range map[string]int{"/billing?as=acme": 303, "/billing?as=never-checked-out": 404, "/billing": 401} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		assert.Equal(t, want, rec.Code, target)
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"), target)
		assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"), target)
		if want == 303 {
			loc := rec.Header().Get("Location")
			assert.True(t, strings.HasPrefix(loc, srv.URL()+"/billing?token="), loc)
			assert.Contains(t, get(t, loc), "acme")
		}
	}
	out := logs.String()
	assert.Contains(t, out, `"level":"WARN"`)
	assert.Contains(t, out, `"handler":"crovver.PortalRedirectHandler"`)
	assert.Contains(t, out, `"provider_code":"TENANT_NOT_FOUND"`)
	assert.NotContains(t, out, crovvertest.PublicKey)
	assert.NotContains(t, out, "token=")

	assert.Panics(t, func() { c.PortalRedirectHandler(nil) })
	assert.Panics(t, func() { c.RedirectHandler(nil) })
}

func TestRedirectHandlerLogsWhyItRefused(t *testing.T) {
	var logs bytes.Buffer
	c, _, _ := fakeClient(t, nil, crovver.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	h := c.RedirectHandler(func(*http.Request) (crovver.CheckoutTokenRequest, error) {
		return crovver.CheckoutTokenRequest{ExternalTenantID: "t", ReturnURL: "javascript:alert(1)"}, nil
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/upgrade", nil))
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, "Bad Request\n", rec.Body.String())
	assert.Contains(t, logs.String(), `"field":"ReturnURL"`)
	assert.Contains(t, logs.String(), `"reason":"invalid request from the callback"`)
}

func TestMintRedirectCarriesNoKey(t *testing.T) {
	var stolen atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { stolen.Add(1) }))
	defer thief.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, thief.URL, http.StatusPermanentRedirect)
	}))
	defer api.Close()
	c, err := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(api.URL))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.CheckoutToken(bg, req("t"))
	var ae *crovver.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusPermanentRedirect, ae.StatusCode)
	assert.Zero(t, stolen.Load())
}

func TestClientAndTokensPrintRedacted(t *testing.T) {
	c, _, _ := fakeClient(t, []crovvertest.Option{crovvertest.WithSubscription("acme", "pro")})
	tok, err := c.CheckoutToken(bg, req("acme"))
	require.NoError(t, err)
	ptok, err := c.PortalToken(bg, crovver.PortalTokenRequest{ExternalTenantID: "acme", ReturnURL: "https://a.example/"})
	require.NoError(t, err)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "client", c, "byvalue", *c, "tok", tok, "tokv", *tok, "ptok", ptok, "ptokv", *ptok)
	outs := []string{logs.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		outs = append(outs, fmt.Sprintf(verb, c), fmt.Sprintf(verb, *c), fmt.Sprintf(verb, tok), fmt.Sprintf(verb, *tok),
			fmt.Sprintf(verb, struct{ C crovver.Client }{*c}))
	}
	for _, out := range outs {
		assert.NotContains(t, out, crovvertest.PublicKey)
		assert.NotContains(t, out, fmt.Sprintf("%x", crovvertest.PublicKey))
		assert.NotContains(t, out, tok.Token)
		assert.NotContains(t, out, ptok.Token)
	}
}

// A struct holding a Client by value in an unexported field, printed with a
// verb that does not fit a pointer: fmt re-prints the inner *client with
// %v, so nothing secret may sit in it directly.
func TestClientInUnexportedFieldShowsNoCredential(t *testing.T) {
	c, _, _ := fakeClient(t, nil)
	type holder struct{ c crovver.Client }
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x"} {
		for _, v := range []any{holder{*c}, &holder{*c}, []crovver.Client{*c}} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, crovvertest.PublicKey, verb)
			assert.NotContains(t, out, fmt.Sprintf("%x", crovvertest.PublicKey), verb)
			assert.NotContains(t, out, strings.Trim(fmt.Sprint([]byte(crovvertest.PublicKey)[:8]), "[]"), verb)
		}
	}
}
