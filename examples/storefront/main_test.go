package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startApp serves the app on a free loopback port, on the fakes.
func startApp(t *testing.T) *App {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *App, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, "127.0.0.1:0", func(string) string { return "" }, io.Discard, func(a *App) { ready <- a })
	}()
	var app *App
	select {
	case app = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return app
}

func browserish(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, Transport: &http.Transport{DisableKeepAlives: true}}
}

func TestFlowsWithoutABrowser(t *testing.T) {
	app := startApp(t)
	hc := browserish(t)
	get := func(path string) (*http.Response, string) {
		resp, err := hc.Get(app.origin + path)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}

	// No session: every page and flow sends the browser to sign in.
	for _, p := range []string{"/dashboard", "/upgrade", "/billing", "/subscription", "/pay"} {
		resp, _ := get(p)
		assert.Equal(t, app.origin+"/login", resp.Request.URL.String(), p)
	}
	resp, err := hc.PostForm(app.origin+"/login", url.Values{"user": {"mallory"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	resp, err = hc.PostForm(app.origin+"/login", url.Values{"user": {demoUser.Name}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, app.origin+"/dashboard", resp.Request.URL.String())
	u, _ := url.Parse(app.origin)
	cookies := hc.Jar.Cookies(u)
	require.Len(t, cookies, 1)

	// A forged cookie is no session.
	forged := &http.Cookie{Name: cookieName, Value: cookies[0].Value[:51] + "x"}
	req, _ := http.NewRequest(http.MethodGet, app.origin+"/dashboard", nil)
	req.AddCookie(forged)
	resp, err = (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "/login", resp.Header.Get("Location"))

	resp, body := get("/upgrade")
	assert.True(t, strings.HasPrefix(resp.Request.URL.String(), app.Crovver.URL()+"/pricing?token="))
	assert.Contains(t, body, "FAKE Crovver")
	resp, body = get("/subscription")
	assert.True(t, strings.HasPrefix(resp.Request.URL.String(), app.Appstle.URL()+"/tools/recurring/customer_portal?token="))
	assert.Contains(t, body, "12345")
	assert.True(t, strings.HasSuffix(resp.Request.URL.String(), "&return_url="+url.QueryEscape(app.origin+"/dashboard")), resp.Request.URL.String())
	assert.Contains(t, body, `<a id="return" href="`+app.origin+`/dashboard">`, "the fake's portal links back")
	assert.Contains(t, body, "#1001", "and lists the demo contract")

	resp, body = get("/pay")
	assert.Contains(t, body, `data-api="`+app.Altpay.URL()+`"`)
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "connect-src 'self' "+app.Altpay.URL())

	// The token endpoint refuses other origins.
	req, _ = http.NewRequest(http.MethodPost, app.origin+"/checkout/token", strings.NewReader("{}"))
	req.Header.Set("Origin", "http://evil.localhost")
	resp, err = hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Zero(t, app.Altpay.CheckoutTokens())
}

// Signing out ends the session on the server: the same cookie, replayed,
// opens nothing. An expired session is no session either.
func TestSessionsEndOnLogoutAndExpire(t *testing.T) {
	app := startApp(t)
	hc := browserish(t)
	resp, err := hc.PostForm(app.origin+"/login", url.Values{"user": {demoUser.Name}})
	require.NoError(t, err)
	resp.Body.Close()
	u, _ := url.Parse(app.origin)
	cookie := hc.Jar.Cookies(u)[0]
	noFollow := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	dashboard := func() int {
		req, _ := http.NewRequest(http.MethodGet, app.origin+"/dashboard", nil)
		req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
		resp, err := noFollow.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, dashboard())
	resp, err = hc.PostForm(app.origin+"/logout", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusSeeOther, dashboard(), "the replayed cookie no longer opens the dashboard")

	resp, err = hc.PostForm(app.origin+"/login", url.Values{"user": {demoUser.Name}})
	require.NoError(t, err)
	resp.Body.Close()
	cookie = hc.Jar.Cookies(u)[0]
	require.Equal(t, http.StatusOK, dashboard())
	app.sessions.mu.Lock()
	app.sessions.now = func() time.Time { return time.Now().Add(sessionTTL) }
	app.sessions.mu.Unlock()
	assert.Equal(t, http.StatusSeeOther, dashboard(), "an expired session is refused")
}

// A cross-site page cannot sign a user in or out, nor ask for a checkout
// token: every state-changing POST checks where it comes from.
func TestCrossSitePostsAreRefused(t *testing.T) {
	app := startApp(t)
	hc := browserish(t)
	for _, p := range []string{"/login", "/logout", "/checkout/token"} {
		for name, h := range map[string][2]string{
			"origin":         {"Origin", "http://evil.example"},
			"sec-fetch-site": {"Sec-Fetch-Site", "cross-site"},
		} {
			req, _ := http.NewRequest(http.MethodPost, app.origin+p, strings.NewReader("user="+demoUser.Name))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set(h[0], h[1])
			resp, err := hc.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s with %s", p, name)
		}
	}
	u, _ := url.Parse(app.origin)
	assert.Empty(t, hc.Jar.Cookies(u), "no session was started")
	// The app's own pages still work.
	req, _ := http.NewRequest(http.MethodPost, app.origin+"/login", strings.NewReader("user="+demoUser.Name))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", app.origin)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, app.origin+"/dashboard", resp.Request.URL.String())
}

// After the flows, /metrics shows the shared cache's fetches per provider
// in Prometheus' text format, and no credential or token.
func TestMetricsAfterTheFlows(t *testing.T) {
	app := startApp(t)
	hc := browserish(t)
	resp, err := hc.PostForm(app.origin+"/login", url.Values{"user": {demoUser.Name}})
	require.NoError(t, err)
	resp.Body.Close()
	for _, p := range []string{"/upgrade", "/subscription", "/upgrade"} {
		resp, err := hc.Get(app.origin + p)
		require.NoError(t, err)
		resp.Body.Close()
	}
	resp, err = hc.Get(app.origin + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	assert.Contains(t, text, `checkoutkit_token_fetches_total{checkoutkit_fetch_outcome="ok",checkoutkit_fetch_source="provider"`)
	for _, provider := range []string{"crovver", "appstle"} {
		assert.Regexp(t, `checkoutkit_token_fetch_duration_seconds_count\{checkoutkit_fetch_reason="missing",checkoutkit_fetch_source="provider",checkoutkit_provider="`+provider+`".*\} 1\n`, text)
		assert.Regexp(t, `checkoutkit_token_lifetime_seconds_bucket\{checkoutkit_provider="`+provider+`"`, text)
	}
	assert.Regexp(t, `checkoutkit_token_requests_total\{checkoutkit_token_result="fresh".*\} 1\n`, text, "the second upgrade reused the checkout token")
	assert.Regexp(t, `checkoutkit_token_cache_entries\{.*\} 2\n`, text)
	for _, secret := range []string{"pk_test", "apst_", app.Crovver.URL(), "token="} {
		assert.NotContains(t, text, secret)
	}
}

// A webhook with a wrong signature changes nothing; the same event signed
// with the app's secret changes the plan, once.
func TestOnlySignedWebhooksChangeThePlan(t *testing.T) {
	app := startApp(t)
	post := func(secret string) int {
		data := map[string]any{"id": "sub_1", "status": "active", "plan_id": "plan_pro", "external_tenant_id": demoUser.Tenant}
		h, body, err := crovvertest.SignWebhook(secret, "subscription.activated", data, time.Now())
		require.NoError(t, err)
		req, _ := http.NewRequest(http.MethodPost, app.origin+"/webhooks/crovver", bytes.NewReader(body))
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusUnauthorized, post("whsec_not_the_apps"))
	_, ok := app.accounts.plan(demoUser.Tenant)
	assert.False(t, ok, "a forged delivery changed the plan")
	assert.Equal(t, http.StatusOK, post(app.crovverSecret))
	plan, _ := app.accounts.plan(demoUser.Tenant)
	assert.Equal(t, "pro", planName(plan))

	// invoice_paid needs Alternative Payments' secret as the bearer.
	req, _ := http.NewRequest(http.MethodPost, app.origin+"/webhooks/altpay", strings.NewReader(`{"topic":"invoice_paid","data":{"id":"inv_1001"}}`))
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.False(t, app.accounts.isPaid("inv_1001"))
}

// The footer says where each provider runs: in process, a fake on
// loopback (checkoutkit fakes), or the provider itself.
func TestFooterSaysWhichProvidersAreFakes(t *testing.T) {
	a := &App{crovverBase: "http://127.0.0.1:7401", shop: "https://mystore.myshopify.com", payAPI: "http://localhost:7403/"}
	assert.Equal(t, "Crovver (fake at http://127.0.0.1:7401), Appstle, Alternative Payments (fake at http://localhost:7403)", a.providers())
	a = &App{crovverBase: "", shop: "http://[::1]:7402", payAPI: "https://api.alternativepayments.io"}
	assert.Equal(t, "Crovver, Appstle (fake at http://[::1]:7402), Alternative Payments", a.providers())
	for _, raw := range []string{"", "http://127.0.0.1.example.com", "https://10.0.0.1", "not a url"} {
		assert.False(t, isLoopback(raw), raw)
	}
}

// Crovver signs no timestamp and may redeliver: an older event arriving
// after a newer one (activated after canceled) changes nothing.
func TestOlderWebhookDoesNotUndoANewerOne(t *testing.T) {
	app := startApp(t)
	post := func(typ, status string, at time.Time) {
		data := map[string]any{"id": "sub_1", "status": status, "plan_id": "plan_pro", "external_tenant_id": demoUser.Tenant}
		h, body, err := crovvertest.SignWebhook(app.crovverSecret, typ, data, at)
		require.NoError(t, err)
		req, _ := http.NewRequest(http.MethodPost, app.origin+"/webhooks/crovver", bytes.NewReader(body))
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	activated := time.Now().Add(-time.Hour)
	post("subscription.activated", "active", activated)
	post("subscription.canceled", "canceled", activated.Add(time.Minute))
	post("subscription.activated", "active", activated) // redelivered late
	_, ok := app.accounts.plan(demoUser.Tenant)
	assert.False(t, ok, "the late activation re-granted the plan")
}
