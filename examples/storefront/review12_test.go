package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
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

// The sign-in form is a few bytes. FormValue read up to 10 MB of a
// url-encoded body into memory, and a multipart body of any size (past
// 32 MiB onto disk), and took the user from the query string too. (64 KiB
// here: over the bound, and small enough that the client's write does not
// race the server closing the connection.)
func TestSignInReadsOnlyASmallFormBody(t *testing.T) {
	app := startApp(t)
	hc := noFollowClient()
	post := func(ctype string, body []byte, query string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, app.origin+"/login"+query, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	resp := post("application/x-www-form-urlencoded", []byte("user="+demoUser.Name+"&pad="+strings.Repeat("x", 64<<10)), "")
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "a 64 KiB sign-in form")
	assert.Empty(t, resp.Cookies())

	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	require.NoError(t, mw.WriteField("user", demoUser.Name))
	f, err := mw.CreateFormFile("pad", "pad.bin")
	require.NoError(t, err)
	_, _ = f.Write(bytes.Repeat([]byte{'x'}, 64<<10))
	require.NoError(t, mw.Close())
	resp = post(mw.FormDataContentType(), mp.Bytes(), "")
	assert.NotEqual(t, http.StatusSeeOther, resp.StatusCode, "a 64 KiB multipart sign-in was read and signed in")
	assert.Empty(t, resp.Cookies())

	resp = post("application/x-www-form-urlencoded", nil, "?user="+demoUser.Name)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the user name from the URL")
	assert.Empty(t, resp.Cookies())

	resp = post("application/x-www-form-urlencoded", []byte("user="+demoUser.Name), "")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "the app's own form")
}

// Crovver delivers events concurrently (a retry beside the next event): an
// older activation checked as applying, a newer cancellation applied, and
// the activation then set its plan, re-granting a canceled subscription.
// Checking an event's age and changing the plan must be one step.
func TestConcurrentWebhooksApplyInOrder(t *testing.T) {
	app := &App{accounts: newAccounts(), logger: slog.New(slog.DiscardHandler)}
	event := func(typ, tenant, status string, at time.Time) crovver.Event {
		data, err := json.Marshal(map[string]any{"id": "sub_1", "status": status, "plan_id": "plan_pro", "external_tenant_id": tenant})
		require.NoError(t, err)
		return crovver.Event{ID: typ + tenant, Type: typ, CreatedAt: at, Data: data}
	}
	base := time.Now().Add(-time.Hour)
	regranted := 0
	for i := range 10000 {
		tenant := "t" + strconv.Itoa(i)
		activated := event(crovver.EventSubscriptionActivated, tenant, crovver.StatusActive, base)
		canceled := event(crovver.EventSubscriptionCanceled, tenant, crovver.StatusCanceled, base.Add(time.Second))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, e := range []crovver.Event{activated, canceled} {
			wg.Go(func() {
				<-start
				assert.NoError(t, app.onCrovver(context.Background(), e))
			})
		}
		close(start)
		wg.Wait()
		if _, ok := app.accounts.plan(tenant); ok {
			regranted++
		}
	}
	assert.Zero(t, regranted, "tenants on a plan after their cancellation, of 10000")
}

// The plan read from Crovver at sign-in is as of the moment the app asked,
// not the moment the answer came: a cancellation made just after Crovver
// read the status, whose webhook the app applied while the answer was on
// its way, is newer than that read and must not be undone by it.
func TestPlanReadAtSignInDoesNotUndoAnEventAppliedDuringTheRead(t *testing.T) {
	ctx := context.Background()
	fake := crovvertest.NewServer(crovvertest.WithSubscription(demoUser.Tenant, "pro"))
	t.Cleanup(fake.Close)
	target, err := url.Parse(fake.URL())
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/public/subscriptions/status" {
			proxy.ServeHTTP(w, r)
			return
		}
		read := httptest.NewRecorder()
		proxy.ServeHTTP(read, r) // Crovver reads "active"
		// then the tenant cancels, and the app gets the webhook first
		if assert.True(t, fake.CancelSubscription(demoUser.Tenant)) {
			ds, err := fake.WaitDeliveries(r.Context(), 1)
			if assert.NoError(t, err) {
				assert.Equal(t, http.StatusOK, ds[0].Status, "subscription.canceled delivered")
			}
		}
		for k, v := range read.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(read.Code)
		_, _ = w.Write(read.Body.Bytes())
	}))
	t.Cleanup(front.Close)
	env := map[string]string{
		"CROVVER_PUBLIC_KEY": crovvertest.PublicKey, "CROVVER_BASE_URL": front.URL,
		"CROVVER_WEBHOOK_SECRET": "whsec_storefront_test_secret",
	}
	app := startServing(t, ctx, "127.0.0.1:0", func(k string) string { return env[k] }, &syncBuffer{})
	require.NoError(t, fake.SetWebhook(app.origin+"/webhooks/crovver", env["CROVVER_WEBHOOK_SECRET"]))

	resp, err := noFollowClient().PostForm(app.origin+"/login", url.Values{"user": {demoUser.Name}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	plan, ok := app.accounts.plan(demoUser.Tenant)
	assert.False(t, ok, "the tenant canceled, yet is on %q", planName(plan))
}

// The server set only ReadHeaderTimeout: a client that sent a request's
// headers and then a body a byte at a time (or never), or that kept an
// idle keep-alive connection open, held a connection and its goroutine
// for as long as it liked, so a few thousand such clients used up the
// server's file descriptors.
func TestServerDropsStalledAndIdleConnections(t *testing.T) {
	defer func(r, i time.Duration) { readTimeout, idleTimeout = r, i }(readTimeout, idleTimeout)
	readTimeout, idleTimeout = 300*time.Millisecond, 300*time.Millisecond
	app := startApp(t)
	host := strings.TrimPrefix(app.origin, "http://")
	closed := func(what, send string) {
		c, err := net.Dial("tcp", host)
		require.NoError(t, err)
		defer c.Close()
		_, err = io.WriteString(c, send)
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		_, err = io.Copy(io.Discard, c) // until the server closes the connection
		assert.NoError(t, err, "%s: the connection was still open after 5 s", what)
	}
	closed("a body that never comes", "POST /login HTTP/1.1\r\nHost: "+host+"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nuser=")
	closed("an idle keep-alive connection", "GET /login HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
}

// A failed sign-in answers its page as every page is answered: HTML, not
// to be stored. The status went out before render set the headers, so both
// were dropped.
func TestFailedSignInPageHasThePageHeaders(t *testing.T) {
	app := startApp(t)
	req, _ := http.NewRequest(http.MethodPost, app.origin+"/login", strings.NewReader("user=mallory"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := noFollowClient().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
}
