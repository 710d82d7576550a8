package main

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func noFollowClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Every sign-in adds a session, and nothing but expiry (8 h) removed them:
// anyone who can sign in grew the server's session map, and the time of
// every later sign-in (which walks it), without bound. A user keeps at
// most maxSessionsPerUser; the newest sign-in always works.
func TestSignInsDoNotGrowTheSessionsWithoutBound(t *testing.T) {
	app := startApp(t)
	hc := noFollowClient()
	var last *http.Cookie
	for range 3 * maxSessionsPerUser {
		resp, err := hc.PostForm(app.origin+"/login", url.Values{"user": {demoUser.Name}})
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		last = resp.Cookies()[0]
	}
	app.sessions.mu.Lock()
	n := len(app.sessions.byID)
	app.sessions.mu.Unlock()
	assert.LessOrEqual(t, n, maxSessionsPerUser, "live sessions after %d sign-ins", 3*maxSessionsPerUser)
	req, _ := http.NewRequest(http.MethodGet, app.origin+"/dashboard", nil)
	req.AddCookie(&http.Cookie{Name: last.Name, Value: last.Value})
	resp, err := hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the newest session")
}
