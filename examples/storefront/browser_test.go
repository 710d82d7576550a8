package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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

// world is where a browser run's providers live.
type world struct {
	skew *atomic.Int64 // in process: how far the app's token cache runs ahead of time.Now
	name string        // prefixes the screenshots
	app  *App
	logs *syncBuffer
	// inProcess: the fakes are app.Crovver, app.Appstle and app.Altpay, so
	// the run can count their tokens, hold their webhooks and expire a
	// checkout token. Against `checkoutkit fakes` it sees only what a user
	// would: pages, redirects and what the webhooks change.
	inProcess        bool
	crovver, appstle string // the fakes' base URLs
}

// TestBrowserRunsEveryFlow drives every flow against the fakes the app
// starts in-process.
func TestBrowserRunsEveryFlow(t *testing.T) {
	exe := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var logs syncBuffer
	var skew atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	app := startServing(t, ctx, "127.0.0.1:0", func(string) string { return "" }, &logs, withHeldWebhooks(), withClock(clock))
	runFlows(t, ctx, exe, world{
		skew: &skew, name: "inprocess", app: app, logs: &logs, inProcess: true,
		crovver: app.Crovver.URL(), appstle: app.Appstle.URL(),
	})
}

// TestBrowserRunsEveryFlowOnTheCLIFakes drives the same flows against
// `checkoutkit fakes` (issue 24: the browser test passes against both the
// in-process and the CLI fakes), the way a user runs the storefront on
// them: the *_BASE_URL, credentials and webhook secrets come from the
// fakes' env file, and the fakes deliver their webhooks to the
// storefront's /webhooks/{provider}.
func TestBrowserRunsEveryFlowOnTheCLIFakes(t *testing.T) {
	exe := chromium(t)
	bin := buildCheckoutkit(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	addr := freeAddr(t)
	envFile := filepath.Join(t.TempDir(), "fakes.env")
	const secret = "storefront-cli-webhook-secret"
	fakes := exec.Command(bin, "fakes", "-port", "0", "-env-file", envFile,
		"-webhook-url", "http://"+addr+"/webhooks/{provider}", "-webhook-secret", secret)
	var fakesLog syncBuffer
	fakes.Stdout, fakes.Stderr = &fakesLog, &fakesLog
	fakes.Env = cleanEnv()
	require.NoError(t, fakes.Start())
	exited := make(chan error, 1)
	go func() { exited <- fakes.Wait() }()
	stopped := false
	stopFakes := func() {
		if stopped {
			return
		}
		stopped = true
		_ = fakes.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = fakes.Process.Kill()
			<-exited
		}
	}
	defer stopFakes()

	var env map[string]string
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(envFile) // written atomically once every fake listens
		if err != nil {
			return false
		}
		env = parseExports(t, string(b))
		return true
	}, 30*time.Second, 20*time.Millisecond, "the fakes wrote no env file: %s", &fakesLog)
	// The secrets the receivers are built with are what the fakes sign
	// with: -webhook-secret as given (Appstle's would be whsec_+base64).
	assert.Equal(t, secret, env["CROVVER_WEBHOOK_SECRET"])
	assert.Equal(t, secret, env["ALTPAY_WEBHOOK_SECRET"])
	assert.Equal(t, "whsec_"+base64.StdEncoding.EncodeToString([]byte(secret)), env["APPSTLE_WEBHOOK_SECRET"])

	var logs syncBuffer
	app := startServing(t, ctx, addr, func(k string) string { return env[k] }, &logs)
	require.Nil(t, app.Crovver, "the app runs on the CLI fakes, not its own")
	require.Nil(t, app.Appstle)
	require.Nil(t, app.Altpay)
	runFlows(t, ctx, exe, world{
		name: "cli", app: app, logs: &logs, crovver: env["CROVVER_BASE_URL"], appstle: env["APPSTLE_BASE_URL"],
	})
	stopFakes()
	_, err := os.Stat(envFile)
	assert.True(t, os.IsNotExist(err), "the fakes stopped and removed their env file")
	assert.NotContains(t, fakesLog.String(), secret)
}

// startServing serves the app on addr until the test ends.
func startServing(t *testing.T, ctx context.Context, addr string, getenv func(string) string, logs *syncBuffer, opts ...appOption) *App {
	t.Helper()
	ready := make(chan *App, 1)
	appCtx, stopApp := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- serve(appCtx, addr, getenv, logs, func(a *App) { ready <- a }, opts...)
	}()
	var app *App
	select {
	case app = <-ready:
	case err := <-done:
		stopApp()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopApp()
		require.NoError(t, <-done)
	})
	return app
}

// runFlows drives every flow of the storefront in headless Chromium, in w.
func runFlows(t *testing.T, ctx context.Context, exe string, w world) {
	app := w.app
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
	snapshot := func(name string) {
		t.Helper()
		html, err := chromedp.Run(browser, chromedp.OuterHTML(chromedp.CSS("html")))
		require.NoError(t, err, name)
		pages = append(pages, html)
		png, err := chromedp.Run(browser, chromedp.FullScreenshot(100)) // quality 100: PNG
		require.NoError(t, err, name)
		shots++
		saveScreenshot(t, fmt.Sprintf("%s-%02d-%s.png", w.name, shots, name), png)
	}
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(browser, actions...), name)
		snapshot(name)
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
	// reloadUntil reloads the page until sel reads want: what a user does
	// while a provider's webhook is on its way.
	reloadUntil := func(sel, want string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			require.NoError(t, chromedp.Do(browser, chromedp.Reload(), chromedp.WaitVisible(css(sel))))
			got := text(sel)
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still reads %q, want %q", sel, got, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	origin := app.origin

	// Sign in: a server-side session behind a random cookie.
	step("sign-in", chromedp.Navigate(origin+"/"), chromedp.WaitVisible(css("#sign-in")))
	step("dashboard", chromedp.Click(css("#sign-in")), chromedp.WaitVisible(css("#plan")))
	assert.Equal(t, origin+"/dashboard", location())
	assert.Equal(t, "free", text("#plan"))
	assert.Equal(t, "open", text("#invoice"))
	footer := text("footer")
	if w.inProcess {
		assert.Contains(t, footer, "Crovver (in-process fake), Appstle (in-process fake), Alternative Payments (in-process fake)")
	} else {
		assert.Contains(t, footer, "Crovver (fake at "+w.crovver+")")
		assert.Contains(t, footer, "Appstle (fake at "+w.appstle+")")
		assert.Contains(t, footer, "Alternative Payments (fake at http://127.0.0.1:")
		assert.NotContains(t, footer, "in-process")
	}
	step("billing-before-upgrade", chromedp.Click(css("#billing")), chromedp.WaitVisible(css("#notice")))
	assert.Equal(t, "No billing yet: upgrade to a paid plan first.", text("#notice"))
	if w.inProcess {
		assert.Zero(t, app.Crovver.PortalTokens(), "no portal token for a tenant that never paid")
	}

	// 1. Upgrade: 303 to Crovver's pricing page, Subscribe, back to the
	// return URL. The plan changes when Crovver's webhook says so, not when
	// the browser comes back.
	step("crovver-pricing", chromedp.Click(css("#upgrade")), chromedp.WaitVisible(css(`button[name="plan"]`)))
	assert.True(t, strings.HasPrefix(location(), w.crovver+"/pricing?token="), location())
	assert.Contains(t, text("#fake"), "FAKE Crovver")
	assert.Equal(t, "acme", text("#tenant"))
	step("upgraded", chromedp.Click(css(`button[name="plan"]`)), chromedp.WaitVisible(css("#notice")))
	assert.Equal(t, origin+"/dashboard?from=checkout", location())
	if w.inProcess {
		// The fake holds its webhooks: the page is the one before Crovver
		// reports.
		assert.Equal(t, "free", text("#plan"), "back from the checkout, before the webhook")
		assert.Contains(t, text("#notice"), "Crovver is confirming")
		assert.Equal(t, []string{"subscription.created", "subscription.activated"}, app.Crovver.PendingWebhooks())
		require.NoError(t, app.Crovver.FlushWebhooks(ctx))
		for _, d := range app.Crovver.Deliveries() {
			assert.Equal(t, 200, d.Status, "%s: %s", d.Type, d.Err)
		}
	} else {
		// The CLI fake delivers at once: the page shows free (and says
		// Crovver is confirming) or already pro, never anything else.
		assert.Contains(t, []string{"free", "pro"}, text("#plan"))
	}
	reloadUntil("#plan", "pro")
	snapshot("confirmed")
	assert.Equal(t, "Thanks! Your subscription is active.", text("#notice"))

	// 2. Billing: Crovver's billing portal.
	step("crovver-billing", chromedp.Click(css("#billing")), chromedp.WaitVisible(css("#return")))
	assert.True(t, strings.HasPrefix(location(), w.crovver+"/billing?token="), location())
	assert.Equal(t, "pro", text("#plan"))
	assert.Contains(t, text("#fake"), "FAKE Crovver")
	step("back", chromedp.Click(css("#return")), chromedp.WaitVisible(css("#plan")))
	assert.Equal(t, origin+"/dashboard", location())

	// 3. Manage subscription: Appstle's customer portal, for the customer the
	// session names, listing their subscriptions, with a link back.
	step("appstle-portal", chromedp.Click(css("#subscription")), chromedp.WaitVisible(css("#customer")))
	assert.True(t, strings.HasPrefix(location(), w.appstle+"/tools/recurring/customer_portal?token="), location())
	assert.Equal(t, fmt.Sprint(appstletest.CustomerID), text("#customer"))
	assert.Contains(t, text("#fake"), "FAKE Appstle")
	assert.Contains(t, text("#subscriptions"), "#1001")
	assert.Contains(t, text("#subscriptions"), "ACTIVE")
	step("appstle-back", chromedp.Click(css("#return")), chromedp.WaitVisible(css("#plan")))
	assert.Equal(t, origin+"/dashboard", location())

	// 4. Pay invoice: the page gets a checkout token and pays with it. In
	// process, the provider first expires it: paying meets a 401, asks for
	// a new token once, retries, and pays. (`checkoutkit fakes` has no way
	// to expire a token from outside, so the CLI run pays with the first.)
	step("pay-ready", chromedp.Navigate(origin+"/pay"), chromedp.WaitEnabled(css("#pay-button")))
	if w.inProcess {
		assert.Equal(t, 1, app.Altpay.CheckoutTokens())
		app.Altpay.ExpireCheckoutTokens()
		// A browser's "expired" is believed only for a token older than
		// RefreshMinAge: let that much time pass on the app's clock.
		w.skew.Store(int64(altpay.RefreshMinAge + time.Second))
	}
	step("paid", chromedp.Click(css("#pay-button")), chromedp.WaitVisible(css("#status.paid")))
	assert.Equal(t, "Paid: invoice "+app.user.InvoiceID+".", text("#status"))
	step("paid-dashboard", chromedp.Navigate(origin+"/dashboard"), chromedp.WaitVisible(css("#invoice")))
	if w.inProcess {
		assert.Equal(t, "open", text("#invoice"), "paid when Alternative Payments says so")
		require.NoError(t, app.Altpay.FlushWebhooks(ctx))
	}
	reloadUntil("#invoice", "paid")
	snapshot("invoice-paid")
	assert.Equal(t, "pro", text("#plan"))

	refreshes := 1 // the pay page's first token
	if w.inProcess {
		// What the fakes counted: one token per flow, one refresh after the
		// expiry.
		assert.Equal(t, 1, app.Crovver.CheckoutTokens())
		assert.Equal(t, 1, app.Crovver.PortalTokens())
		assert.Equal(t, 1, app.Appstle.PortalTokens())
		assert.Equal(t, 2, app.Altpay.CheckoutTokens(), "the first token, and one after the expiry")
		assert.Equal(t, 1, app.Altpay.Payments())
		refreshes = 2
	}
	assert.Equal(t, refreshes, app.Refreshes(), "the pay page asked for a token once, and once more after an expiry")

	// No credential in any page, script, URL or request the browser saw.
	script, err := chromedp.Run(browser, chromedp.Evaluate[string](`fetch("/static/pay.js").then(r => r.text())`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	seen := strings.Join(pages, "\n") + "\n" + script + "\n" + sent.String()
	assert.Contains(t, seen, "/v1/checkout/pay", "the requests were recorded")
	assert.NotContains(t, seen, "see the billing portal", "a plan is named, never a placeholder")
	for name, secret := range map[string]string{
		"Crovver public key": crovvertest.PublicKey, "Appstle API key": appstletest.APIKey,
		"altpay client secret": altpaytest.ClientSecret, "altpay client id": altpaytest.ClientID,
		"altpay Basic header":    base64.StdEncoding.EncodeToString([]byte(altpaytest.ClientID + ":" + altpaytest.ClientSecret)),
		"Cartevo client key":     cartevotest.ClientKey,
		"Crovver webhook secret": app.crovverSecret, "altpay webhook secret": app.altpaySecret,
	} {
		assert.NotContains(t, seen, secret, name)
		assert.NotContains(t, w.logs.String(), secret, name)
	}
	// A token travels only in the provider's own page URLs and to its API:
	// never in a URL of the app.
	for _, line := range strings.Split(sent.String(), "\n") {
		if strings.Contains(line, " "+origin) {
			assert.NotContains(t, line, "token=", line)
		}
	}

	// What the shared cache's metrics say about the same run: one mint per
	// flow, the forced refresh (in process) as an invalidation, nothing
	// failed.
	invalidated, altpayFetches := uint64(0), uint64(2) // an access token and a checkout token
	if w.inProcess {
		invalidated, altpayFetches = 1, 3 // and one more checkout token after the expiry
	}
	const dur = "checkoutkit_token_fetch_duration_seconds"
	assert.EqualValues(t, 2, metricCount(t, app, dur, map[string]string{"checkoutkit_provider": "crovver", "checkoutkit_fetch_source": "provider"}))
	assert.EqualValues(t, 1, metricCount(t, app, dur, map[string]string{"checkoutkit_provider": "appstle"}))
	assert.EqualValues(t, invalidated, metricCount(t, app, dur, map[string]string{"checkoutkit_provider": "altpay", "checkoutkit_fetch_reason": "invalidated"}))
	assert.EqualValues(t, altpayFetches, metricCount(t, app, dur, map[string]string{"checkoutkit_provider": "altpay"}))
	assert.Zero(t, metricCount(t, app, "checkoutkit_token_fetches_total", map[string]string{"checkoutkit_fetch_outcome": "error"}))
	assert.EqualValues(t, 3+altpayFetches, metricCount(t, app, "checkoutkit_token_lifetime_seconds", nil))
}

// buildCheckoutkit builds this tree's checkoutkit command into a temp dir.
func buildCheckoutkit(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "checkoutkit")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/checkoutkit").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// freeAddr is a loopback address with a port free a moment ago, for the
// storefront: the fakes must know it before it listens.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// cleanEnv is the test's environment without anything that configures the
// fakes or points a client somewhere.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CARTEVO_") || strings.HasPrefix(k, "CROVVER_") || strings.HasPrefix(k, "APPSTLE_") ||
			strings.HasPrefix(k, "ALTPAY_") || strings.HasPrefix(k, "CHECKOUTKIT_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// parseExports reads the export NAME='value' lines `checkoutkit fakes`
// writes.
func parseExports(t *testing.T, s string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		kv, ok := strings.CutPrefix(line, "export ")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		require.True(t, ok, line)
		if strings.HasPrefix(v, "'") {
			v = strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'"), `'\''`, "'")
		}
		env[k] = v
	}
	return env
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
