package main

import (
	"context"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/altpay"
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

// payPage does what Alternative Payments' web SDK does with a checkout
// token: POST /v1/checkout/pay from the merchant's page, a cross-origin
// call with an Authorization header (so the browser sends a preflight).
var payPage = template.Must(template.New("pay").Parse(`<!doctype html>
<title>pay</title><p id="status">pending</p>
<script>
fetch({{.API}} + "/v1/checkout/pay", {method: "POST",
  headers: {"Authorization": "Bearer " + {{.Token}}, "Content-Type": "application/json"}, body: "{}"})
  .then(r => r.json()).then(j => { document.getElementById("status").textContent = j.status; })
  .catch(e => { document.getElementById("status").textContent = "error: " + e.message; });
</script>`))

// A page on a loopback origin pays through the CLI's altpay fake in a real
// browser (issue 24 item 3: the preflight got 204 without
// Access-Control-Allow-Origin and the browser said "Failed to fetch"); an
// origin -allow-origin does not name is refused by the browser.
func TestBrowserPaysThroughTheCLIFakes(t *testing.T) {
	exe := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()

	pay := func(t *testing.T, fakesArgs ...string) string {
		t.Helper()
		env, _, _ := startFakes(t, append([]string{"-port", "0", "-only", "altpay"}, fakesArgs...)...)
		client, err := altpay.New(env["ALTPAY_CLIENT_ID"], env["ALTPAY_CLIENT_SECRET"], altpay.WithBaseURL(env["ALTPAY_BASE_URL"]))
		require.NoError(t, err)
		defer client.Close()
		tok, err := client.CheckoutToken(ctx, altpay.CheckoutTokenRequest{CustomerID: env["ALTPAY_CUSTOMER_ID"], InvoiceID: env["ALTPAY_INVOICE_ID"]})
		require.NoError(t, err)
		shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = payPage.Execute(w, map[string]string{"API": env["ALTPAY_BASE_URL"], "Token": tok.Token})
		}))
		defer shop.Close()
		require.NoError(t, chromedp.Do(browser, chromedp.Navigate(shop.URL+"/"),
			chromedp.Poll[chromedp.Void](`document.getElementById("status").textContent !== "pending"`)))
		status, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS("#status")))
		require.NoError(t, err)
		return status
	}

	t.Run("a loopback origin, by default", func(t *testing.T) {
		assert.Equal(t, "paid", pay(t))
	})
	t.Run("an origin -allow-origin does not name", func(t *testing.T) {
		assert.Equal(t, "error: Failed to fetch", pay(t, "-allow-origin", "https://shop.example"))
	})
}
