package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
)

// chromium finds Debian's chromium. Locally the browser test skips
// without it; under CI=true it fails instead (.ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run installs it with apt-get")
	}
	t.Skip("chromium is not installed (apt-get install chromium); CI runs this test")
	return ""
}

// requests records what the browser sent, to check that no credential
// ever reached it.
type requests struct {
	mu  sync.Mutex
	all []string
}

func (r *requests) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, s)
}

func (r *requests) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.all, "\n")
}

func TestBrowserRunsEveryFlow(t *testing.T) {
	exe := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var logs syncBuffer
	var skew atomic.Int64 // how far the app's token cache is ahead of time.Now
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	ready := make(chan *App, 1)
	appCtx, stopApp := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- serve(appCtx, "127.0.0.1:0", func(string) string { return "" }, &logs, func(a *App) { ready <- a }, withHeldWebhooks(), withClock(clock))
	}()
	var app *App
	select {
	case app = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	defer func() {
		stopApp()
		require.NoError(t, <-done)
	}()

	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1100, 800))
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()

	var sent requests
	require.NoError(t, chromedp.Listen(browser, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			var body []string
			for _, d := range e.Request.PostDataEntries {
				body = append(body, fmt.Sprint(*d))
			}
			sent.add(fmt.Sprintf("%s %s %v %s", e.Request.Method, e.Request.URL, e.Request.Headers, strings.Join(body, "")))
		}
	}))
	var pages []string // every page's HTML as the browser saw it
	shots := 0
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(browser, actions...), name)
		html, err := chromedp.Run(browser, chromedp.OuterHTML(chromedp.CSS("html")))
		require.NoError(t, err, name)
		pages = append(pages, html)
		png, err := chromedp.Run(browser, chromedp.FullScreenshot(100)) // quality 100: PNG
		require.NoError(t, err, name)
		shots++
		saveScreenshot(t, fmt.Sprintf("%02d-%s.png", shots, name), png)
	}
	text := func(sel string) string {
		s, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err, sel)
		return strings.TrimSpace(s)
	}
	location := func() string {
		u, err := chromedp.Run(browser, chromedp.Location())
		require.NoError(t, err)
		return u
	}
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	origin := app.origin

	// Sign in: a signed session cookie.
	step("sign-in", chromedp.Navigate(origin+"/"), chromedp.WaitVisible(css("#sign-in")))
	step("dashboard", chromedp.Click(css("#sign-in")), chromedp.WaitVisible(css("#plan")))
	assert.Equal(t, origin+"/dashboard", location())
	assert.Equal(t, "free", text("#plan"))
	assert.Equal(t, "open", text("#invoice"))
	step("billing-before-upgrade", chromedp.Click(css("#billing")), chromedp.WaitVisible(css("#notice")))
	assert.Equal(t, "No billing yet: upgrade to a paid plan first.", text("#notice"))
	assert.Zero(t, app.Crovver.PortalTokens(), "no portal token for a tenant that never paid")

	// 1. Upgrade: 303 to Crovver's pricing page, Subscribe, back to the
	// return URL. The plan changes when Crovver's webhook says so, not when
	// the browser comes back.
	step("crovver-pricing", chromedp.Click(css("#upgrade")), chromedp.WaitVisible(css(`button[name="plan"]`)))
	assert.True(t, strings.HasPrefix(location(), app.Crovver.URL()+"/pricing?token="), location())
	assert.Contains(t, text("#fake"), "FAKE Crovver")
	assert.Equal(t, "acme", text("#tenant"))
	step("upgraded", chromedp.Click(css(`button[name="plan"]`)), chromedp.WaitVisible(css("#notice")))
	assert.Equal(t, origin+"/dashboard?from=checkout", location())
	assert.Equal(t, "free", text("#plan"), "back from the checkout, before the webhook")
	assert.Contains(t, text("#notice"), "Crovver is confirming")
	assert.Equal(t, []string{"subscription.created", "subscription.activated"}, app.Crovver.PendingWebhooks())
	require.NoError(t, app.Crovver.FlushWebhooks(ctx))
	for _, d := range app.Crovver.Deliveries() {
		assert.Equal(t, 200, d.Status, "%s: %s", d.Type, d.Err)
	}
	step("confirmed", chromedp.Reload(), chromedp.WaitVisible(css("#plan")))
	assert.Equal(t, "pro", text("#plan"), "the webhook was handled")
	assert.Equal(t, "Thanks! Your subscription is active.", text("#notice"))

	// 2. Billing: Crovver's billing portal.
	step("crovver-billing", chromedp.Click(css("#billing")), chromedp.WaitVisible(css("#return")))
	assert.True(t, strings.HasPrefix(location(), app.Crovver.URL()+"/billing?token="), location())
	assert.Equal(t, "pro", text("#plan"))
	step("back", chromedp.Click(css("#return")), chromedp.WaitVisible(css("#plan")))

	// 3. Manage subscription: Appstle's customer portal, for the customer the
	// session names.
	step("appstle-portal", chromedp.Click(css("#subscription")), chromedp.WaitVisible(css("#customer")))
	assert.True(t, strings.HasPrefix(location(), app.Appstle.URL()+"/tools/recurring/customer_portal?token="), location())
	assert.Equal(t, fmt.Sprint(appstletest.CustomerID), text("#customer"))
	assert.Contains(t, text("#fake"), "FAKE Appstle")

	// 4. Pay invoice: the page gets a checkout token; the provider expires
	// it; paying meets a 401, asks for a new token once, retries, and pays.
	step("pay-ready", chromedp.Navigate(origin+"/pay"), chromedp.WaitEnabled(css("#pay-button")))
	assert.Equal(t, 1, app.Altpay.CheckoutTokens())
	app.Altpay.ExpireCheckoutTokens()
	// A browser's "expired" is believed only for a token older than
	// RefreshMinAge: let that much time pass on the app's clock.
	skew.Store(int64(altpay.RefreshMinAge + time.Second))
	step("paid", chromedp.Click(css("#pay-button")), chromedp.WaitVisible(css("#status.paid")))
	assert.Equal(t, "Paid: invoice "+app.user.InvoiceID+".", text("#status"))
	step("paid-dashboard", chromedp.Navigate(origin+"/dashboard"), chromedp.WaitVisible(css("#invoice")))
	assert.Equal(t, "open", text("#invoice"), "paid when Alternative Payments says so")
	require.NoError(t, app.Altpay.FlushWebhooks(ctx))
	step("invoice-paid", chromedp.Reload(), chromedp.WaitVisible(css("#invoice")))
	assert.Equal(t, "paid", text("#invoice"))

	// What the fakes counted: one token per flow, one refresh after the
	// expiry.
	assert.Equal(t, 1, app.Crovver.CheckoutTokens())
	assert.Equal(t, 1, app.Crovver.PortalTokens())
	assert.Equal(t, 1, app.Appstle.Tokens())
	assert.Equal(t, 2, app.Altpay.CheckoutTokens(), "the first token, and one after the expiry")
	assert.Equal(t, 2, app.Refreshes(), "exactly one refresh after the expiry")
	assert.Equal(t, 1, app.Altpay.Payments())

	// No credential in any page, script, URL or request the browser saw.
	script, err := chromedp.Run(browser, chromedp.Evaluate[string](`fetch("/static/pay.js").then(r => r.text())`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	seen := strings.Join(pages, "\n") + "\n" + script + "\n" + sent.String()
	assert.Contains(t, seen, "/v1/checkout/pay", "the requests were recorded")
	for name, secret := range map[string]string{
		"Crovver public key": crovvertest.PublicKey, "Appstle API key": appstletest.APIKey,
		"altpay client secret": altpaytest.ClientSecret, "altpay client id": altpaytest.ClientID,
		"altpay Basic header": base64.StdEncoding.EncodeToString([]byte(altpaytest.ClientID + ":" + altpaytest.ClientSecret)),
		"Cartevo client key":  cartevotest.ClientKey,
	} {
		assert.NotContains(t, seen, secret, name)
	}
	// A token travels only in the provider's own page URLs and to its API:
	// never in a URL of the app.
	for _, line := range strings.Split(sent.String(), "\n") {
		if strings.Contains(line, " "+origin) {
			assert.NotContains(t, line, "token=", line)
		}
	}
	assert.NotContains(t, logs.String(), crovvertest.PublicKey)

	// What the shared cache's metrics say about the same run: one mint per
	// flow, the forced refresh as an invalidation, nothing failed.
	const dur = "checkoutkit_token_fetch_duration_seconds"
	assert.EqualValues(t, 2, metricCount(t, app, dur, map[string]string{"checkoutkit_provider": "crovver", "checkoutkit_fetch_source": "provider"}))
	assert.EqualValues(t, 1, metricCount(t, app, dur, map[string]string{"checkoutkit_provider": "appstle"}))
	assert.EqualValues(t, 1, metricCount(t, app, dur, map[string]string{"checkoutkit_provider": "altpay", "checkoutkit_fetch_reason": "invalidated"}))
	assert.EqualValues(t, 3, metricCount(t, app, dur, map[string]string{"checkoutkit_provider": "altpay"}), "an access token and two checkout tokens")
	assert.Zero(t, metricCount(t, app, "checkoutkit_token_fetches_total", map[string]string{"checkoutkit_fetch_outcome": "error"}))
	assert.EqualValues(t, 6, metricCount(t, app, "checkoutkit_token_lifetime_seconds", nil))
}

func saveScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	dirs := []string{t.TempDir()}
	if a := os.Getenv("ARTIFACTS"); a != "" {
		dirs = append(dirs, a)
	}
	for _, d := range dirs {
		require.NoError(t, os.MkdirAll(d, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(d, name), png, 0o644))
	}
}

// syncBuffer is a bytes.Buffer safe for the app's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
