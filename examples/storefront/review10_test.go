package main

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
