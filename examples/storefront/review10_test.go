package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
)

// Signing in again in the same browser replaces the session: the earlier
// cookie, if anyone kept a copy, must not stay live after the user signs
// out, or "signing out ends it for good" does not hold.
func TestSignOutEndsTheSessionASecondSignInReplaced(t *testing.T) {
	app := startApp(t)
	hc := browserish(t)
	u, _ := url.Parse(app.origin)
	signIn := func() *http.Cookie {
		resp, err := hc.PostForm(app.origin+"/login", url.Values{"user": {demoUser.Name}})
		require.NoError(t, err)
		resp.Body.Close()
		cs := hc.Jar.Cookies(u)
		require.Len(t, cs, 1)
		return cs[0]
	}
	noFollow := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	dashboard := func(c *http.Cookie) int {
		req, _ := http.NewRequest(http.MethodGet, app.origin+"/dashboard", nil)
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		resp, err := noFollow.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	first := signIn()
	second := signIn()
	require.NotEqual(t, first.Value, second.Value)
	resp, err := hc.PostForm(app.origin+"/logout", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusSeeOther, dashboard(second), "the signed-out session")
	assert.Equal(t, http.StatusSeeOther, dashboard(first), "the session the second sign-in replaced still opens the dashboard after sign-out")
}

// The answers that set or clear the session cookie carry a session id:
// no cache may keep them.
func TestSessionCookieAnswersAreNotStored(t *testing.T) {
	app := startApp(t)
	noFollow := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(app.origin+"/login", url.Values{"user": {demoUser.Name}})
	require.NoError(t, err)
	resp.Body.Close()
	require.NotEmpty(t, resp.Header.Get("Set-Cookie"))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"), "sign-in")

	req, _ := http.NewRequest(http.MethodPost, app.origin+"/logout", nil)
	req.AddCookie(resp.Cookies()[0])
	resp, err = noFollow.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"), "sign-out")
}

// A plan the app read from Crovver at sign-in (its webhooks never came, or
// came before the app was up) is newer than any event created before that
// read: an old subscription.canceled redelivered afterwards (Crovver's
// manual Retry resends an event as it was) must not take the plan away.
func TestOldWebhookDoesNotUndoThePlanReadAtSignIn(t *testing.T) {
	ctx := context.Background()
	app := startServing(t, ctx, "127.0.0.1:0", func(string) string { return "" }, &syncBuffer{}, withHeldWebhooks())
	hc := browserish(t)
	signIn := func() {
		resp, err := hc.PostForm(app.origin+"/login", url.Values{"user": {demoUser.Name}})
		require.NoError(t, err)
		resp.Body.Close()
	}
	signIn()
	noFollow := &http.Client{Jar: hc.Jar, Transport: &http.Transport{DisableKeepAlives: true}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(app.origin + "/upgrade")
	require.NoError(t, err)
	resp.Body.Close()
	pricing, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	resp, err = noFollow.PostForm(app.Crovver.URL()+"/pricing/subscribe", url.Values{"token": {pricing.Query().Get("token")}, "plan": {"pro"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	// The subscription's webhooks are held (never delivered); signing in
	// again reads the plan from Crovver.
	resp, err = hc.PostForm(app.origin+"/logout", nil)
	require.NoError(t, err)
	resp.Body.Close()
	signIn()
	plan, _ := app.accounts.plan(demoUser.Tenant)
	require.Equal(t, "pro", planName(plan), "read from Crovver at sign-in")

	data := map[string]any{"id": "sub_old", "status": "canceled", "plan_id": "plan_pro", "external_tenant_id": demoUser.Tenant}
	h, body, err := crovvertest.SignWebhook(app.crovverSecret, "subscription.canceled", data, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	req, _ := http.NewRequest(http.MethodPost, app.origin+"/webhooks/crovver", bytes.NewReader(body))
	req.Header = h
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	plan, _ = app.accounts.plan(demoUser.Tenant)
	assert.Equal(t, "pro", planName(plan), "an hour-old cancellation took away the plan Crovver reports active")
}
