package crovver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var bg = context.Background()

// inBubble runs f inside a testing/synctest bubble, on the cache's
// production clock (its timers, its watchdog), against a fake that stays
// outside the bubble with a clock of its own. advance moves both: the
// bubble's time by sleeping, the fake's by Add. The client keeps no idle
// connection: a goroutine parked on a socket is never durably blocked, and
// the bubble's time could not move.
func inBubble(t *testing.T, srvOpts []crovvertest.Option, opts []crovver.Option, f func(t *testing.T, c *crovver.Client, srv *crovvertest.Server, advance func(time.Duration))) {
	t.Helper()
	clk := newClock()
	srv := crovvertest.NewServer(append([]crovvertest.Option{crovvertest.WithClock(clk.Now)}, srvOpts...)...)
	t.Cleanup(srv.Close)
	synctest.Test(t, func(t *testing.T) {
		hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		c, err := crovver.New(crovvertest.PublicKey, append([]crovver.Option{
			crovver.WithBaseURL(srv.URL()), crovver.WithHTTPClient(hc),
		}, opts...)...)
		require.NoError(t, err)
		defer c.Close()
		f(t, c, srv, func(d time.Duration) {
			time.Sleep(d)
			clk.Add(d)
			synctest.Wait()
		})
	})
}

func fakeClient(t *testing.T, srvOpts []crovvertest.Option, opts ...crovver.Option) (*crovver.Client, *crovvertest.Server, *fakeclock.Clock) {
	t.Helper()
	clk := newClock()
	srv := crovvertest.NewServer(append([]crovvertest.Option{crovvertest.WithClock(clk.Now)}, srvOpts...)...)
	t.Cleanup(srv.Close)
	cache := tokencache.New()
	t.Cleanup(func() { cache.Close() })
	c, err := crovver.New(crovvertest.PublicKey, append([]crovver.Option{crovver.WithBaseURL(srv.URL()), crovver.WithCache(cache)}, opts...)...)
	require.NoError(t, err)
	return c, srv, clk
}

func req(tenant string) crovver.CheckoutTokenRequest {
	return crovver.CheckoutTokenRequest{ExternalTenantID: tenant, ReturnURL: "https://app.example.com/done"}
}

func TestValidationSendsNothing(t *testing.T) {
	c, srv, _ := fakeClient(t, nil)
	cases := map[string]struct {
		r     crovver.CheckoutTokenRequest
		field string
	}{
		"no tenant":       {crovver.CheckoutTokenRequest{ReturnURL: "https://a.example/"}, "ExternalTenantID"},
		"blank tenant":    {crovver.CheckoutTokenRequest{ExternalTenantID: "  ", ReturnURL: "https://a.example/"}, "ExternalTenantID"},
		"no return URL":   {crovver.CheckoutTokenRequest{ExternalTenantID: "t"}, "ReturnURL"},
		"relative":        {crovver.CheckoutTokenRequest{ExternalTenantID: "t", ReturnURL: "/billing/done"}, "ReturnURL"},
		"javascript":      {crovver.CheckoutTokenRequest{ExternalTenantID: "t", ReturnURL: "javascript:alert(1)"}, "ReturnURL"},
		"data":            {crovver.CheckoutTokenRequest{ExternalTenantID: "t", ReturnURL: "data:text/html,hi"}, "ReturnURL"},
		"ftp":             {crovver.CheckoutTokenRequest{ExternalTenantID: "t", ReturnURL: "ftp://a.example/x"}, "ReturnURL"},
		"no host":         {crovver.CheckoutTokenRequest{ExternalTenantID: "t", ReturnURL: "https:///x"}, "ReturnURL"},
		"scheme-relative": {crovver.CheckoutTokenRequest{ExternalTenantID: "t", ReturnURL: "//evil.example/x"}, "ReturnURL"},
		"bad metadata":    {crovver.CheckoutTokenRequest{ExternalTenantID: "t", ReturnURL: "https://a.example/", Metadata: map[string]any{"f": func() {}}}, "Metadata"},
		"NaN metadata":    {crovver.CheckoutTokenRequest{ExternalTenantID: "t", ReturnURL: "https://a.example/", Metadata: map[string]any{"n": math.NaN()}}, "Metadata"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.CheckoutToken(bg, tc.r)
			require.ErrorIs(t, err, crovver.ErrInvalidRequest)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
	_, err := c.PortalToken(bg, crovver.PortalTokenRequest{ExternalTenantID: "t", ReturnURL: "javascript:x"})
	assert.ErrorIs(t, err, crovver.ErrInvalidRequest)
	assert.Equal(t, 0, srv.CheckoutTokens()+srv.PortalTokens())

	_, err = crovver.New("")
	assert.ErrorIs(t, err, crovver.ErrInvalidRequest)
	_, err = crovver.New("pk", crovver.WithBaseURL("http://app.crovver.com"))
	assert.ErrorIs(t, err, crovver.ErrInvalidRequest)
}

func TestCheckoutTokenCarriesRequest(t *testing.T) {
	inBubble(t, nil, nil, func(t *testing.T, c *crovver.Client, srv *crovvertest.Server, _ func(time.Duration)) {
		tok, err := c.CheckoutToken(bg, fullRequest)
		require.NoError(t, err)
		assert.Equal(t, time.Now().Add(crovvertest.TokenLifetime), tok.ExpiresAt)
		assert.True(t, strings.HasPrefix(tok.CheckoutURL, srv.URL()+"/pricing?token="))
	})
	c, srv, _ := fakeClient(t, nil)
	tok, err := c.CheckoutToken(bg, fullRequest)
	require.NoError(t, err)
	page := get(t, tok.CheckoutURL)
	assert.Contains(t, page, `<span id="tenant">tenant_42</span>`)
	assert.Contains(t, page, "Subscribe to pro")
	assert.Contains(t, page, `href="https://app.example.com/billing/done"`)
	assert.Equal(t, 1, srv.CheckoutTokens())
}

func TestIdenticalRequestsReuseWhileFresh(t *testing.T) {
	inBubble(t, nil, nil, func(t *testing.T, c *crovver.Client, srv *crovvertest.Server, advance func(time.Duration)) {
		a, err := c.CheckoutToken(bg, req("t1"))
		require.NoError(t, err)
		b, err := c.CheckoutToken(bg, req("t1"))
		require.NoError(t, err)
		assert.Equal(t, a.Token, b.Token)
		assert.Equal(t, 1, srv.CheckoutTokens())

		_, err = c.CheckoutToken(bg, req("t2"))
		require.NoError(t, err)
		other := req("t1")
		other.RequiredPlan = "enterprise"
		_, err = c.CheckoutToken(bg, other)
		require.NoError(t, err)
		assert.Equal(t, 3, srv.CheckoutTokens(), "a different request is a different token")

		advance(6 * time.Minute) // 4 of 10 minutes left: stale, not handed to a browser
		stale, err := c.CheckoutToken(bg, req("t1"))
		require.NoError(t, err)
		assert.NotEqual(t, a.Token, stale.Token)
		assert.Equal(t, 10*time.Minute, stale.ExpiresIn)

		advance(9*time.Minute + 55*time.Second) // within the safety margin: never handed out
		fresh, err := c.CheckoutToken(bg, req("t1"))
		require.NoError(t, err)
		assert.NotEqual(t, a.Token, fresh.Token)
		assert.True(t, fresh.ExpiresAt.After(time.Now().Add(9*time.Minute)))
	})
}

func TestWithoutReuse(t *testing.T) {
	c, srv, _ := fakeClient(t, nil, crovver.WithoutReuse())
	for range 3 {
		_, err := c.CheckoutToken(bg, req("t1"))
		require.NoError(t, err)
	}
	assert.Equal(t, 3, srv.CheckoutTokens())
}

func TestPortalAfterCheckoutLoop(t *testing.T) {
	c, srv, _ := fakeClient(t, nil)
	portalReq := crovver.PortalTokenRequest{ExternalTenantID: "t9", ReturnURL: "https://app.example.com/settings"}
	_, err := c.PortalToken(bg, portalReq)
	require.ErrorIs(t, err, crovver.ErrTenantNotFound)

	tok, err := c.CheckoutToken(bg, req("t9"))
	require.NoError(t, err)
	_, err = c.PortalToken(bg, portalReq)
	require.ErrorIs(t, err, crovver.ErrNoActiveSubscription)

	// The user subscribes on the fake's pricing page and is sent back.
	u, _ := url.Parse(tok.CheckoutURL)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(srv.URL()+"/pricing/subscribe", url.Values{"token": {u.Query().Get("token")}, "plan": {"pro"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "https://app.example.com/done?status=success", resp.Header.Get("Location"))

	portal, err := c.PortalToken(bg, portalReq)
	require.NoError(t, err)
	page := get(t, portal.PortalURL)
	assert.Contains(t, page, `<span id="plan">pro</span>`)
	assert.Contains(t, page, `href="https://app.example.com/settings"`)
}

func TestWrongKeyAndServerErrors(t *testing.T) {
	_, srv, _ := fakeClient(t, nil)
	bad, err := crovver.New("pk_test_WRONG_0000", crovver.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer bad.Close()
	_, err = bad.CheckoutToken(bg, req("t"))
	require.ErrorIs(t, err, crovver.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "pk_test_WRONG_0000")

	c, srv2, _ := fakeClient(t, nil)
	srv2.FailNext(502, 503)
	_, err = c.CheckoutToken(bg, req("t"))
	require.NoError(t, err, "5xx retried")
}

func TestHerdOnOneRequestMintsOnce(t *testing.T) {
	c, srv, _ := fakeClient(t, nil)
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.CheckoutToken(bg, req("t"))
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, srv.CheckoutTokens())
}

func TestRedirectHandler(t *testing.T) {
	c, srv, _ := fakeClient(t, nil)
	errNoSession := fmt.Errorf("no session: %w", crovver.ErrUnauthorized)
	h := c.RedirectHandler(func(r *http.Request) (crovver.CheckoutTokenRequest, error) {
		switch r.URL.Query().Get("as") {
		case "":
			return crovver.CheckoutTokenRequest{}, errNoSession
		case "broken":
			return crovver.CheckoutTokenRequest{}, errors.New("db down: secret-dsn")
		case "bad":
			return crovver.CheckoutTokenRequest{ExternalTenantID: "t", ReturnURL: "javascript:x"}, nil
		}
		return req(r.URL.Query().Get("as")), nil
	})
	do := func(method, target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
		return rec
	}

	rec := do(http.MethodGet, "/checkout?as=acme")
	assert.Equal(t, http.StatusSeeOther, rec.Code)
	loc := rec.Header().Get("Location")
	assert.True(t, strings.HasPrefix(loc, srv.URL()+"/pricing?token="), loc)
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Contains(t, get(t, loc), "acme", "the redirect target works")

	rec = do(http.MethodPost, "/checkout?as=acme")
	assert.Equal(t, http.StatusSeeOther, rec.Code)

	for target, want := range map[string]int{
		"/checkout":           http.StatusUnauthorized,
		"/checkout?as=broken": http.StatusForbidden,
		"/checkout?as=bad":    http.StatusBadRequest,
	} {
		rec := do(http.MethodGet, target)
		assert.Equal(t, want, rec.Code, target)
		assert.NotContains(t, rec.Body.String(), "secret-dsn")
		assert.Empty(t, rec.Header().Get("Location"))
	}
	rec = do(http.MethodDelete, "/checkout?as=acme")
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)

	srv.FailNext(500, 500, 500)
	rec = do(http.MethodGet, "/checkout?as=other")
	assert.Equal(t, http.StatusBadGateway, rec.Code)
	assert.Equal(t, "Bad Gateway\n", rec.Body.String(), "no upstream detail")

	bad, err := crovver.New("pk_test_WRONG_0000", crovver.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer bad.Close()
	rec = httptest.NewRecorder()
	bad.RedirectHandler(func(*http.Request) (crovver.CheckoutTokenRequest, error) { return req("t"), nil }).
		ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusBadGateway, rec.Code, "our key rejected upstream is not the user's fault")
	assert.NotContains(t, rec.Body.String(), "WRONG")
}

func TestSecretsNeverPrinted(t *testing.T) {
	c, _, _ := fakeClient(t, nil)
	tok, err := c.CheckoutToken(bg, req("t"))
	require.NoError(t, err)
	for _, out := range []string{
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%+v", *c),
		fmt.Sprintf("%v", tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), fmt.Sprintf("%+v", *tok), fmt.Sprintf("%#v", *tok),
	} {
		assert.NotContains(t, out, crovvertest.PublicKey)
		assert.NotContains(t, out, tok.Token[:16])
		assert.NotContains(t, out, "pricing?token")
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// badStore hands out one entry whatever the key, as a Store shared with
// another version (or tampered with) could.
type badStore struct{ e tokencache.Entry }

func (s badStore) Load(context.Context, string) (tokencache.Entry, bool, error) {
	return s.e, true, nil
}
func (badStore) Save(context.Context, string, tokencache.Entry) error   { return nil }
func (badStore) Delete(context.Context, string, tokencache.Token) error { return nil }
func (badStore) TryLock(context.Context, string, time.Duration) (func(context.Context) error, bool, error) {
	return func(context.Context) error { return nil }, true, nil
}

func TestMalformedCachedValueIsAnErrorNotAPanic(t *testing.T) {
	srv := crovvertest.NewServer()
	defer srv.Close()
	exp := time.Now().Add(time.Hour)
	cache := tokencache.New(tokencache.WithStore(badStore{tokencache.Entry{
		Token: tokencache.Token{Value: "no-separator", ExpiresAt: exp}, RefreshAt: exp.Add(-5 * time.Minute),
	}}))
	defer cache.Close()
	c, err := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(srv.URL()), crovver.WithCache(cache))
	require.NoError(t, err)
	_, err = c.CheckoutToken(bg, req("t"))
	require.ErrorIs(t, err, crovver.ErrUnexpectedResponse)
}
