package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/crovver"
)

// receivers serves each provider's WebhookHandler at /<provider> and sends
// the type of every event handled to got.
func receivers(t *testing.T, secret string) (*httptest.Server, chan string) {
	got := make(chan string, 16)
	mux := http.NewServeMux()
	mux.Handle("/crovver", crovver.WebhookHandler(secret, func(_ context.Context, e crovver.Event) error {
		got <- "crovver " + e.Type
		return nil
	}))
	mux.Handle("/appstle", appstle.WebhookHandler(appstleSecret(secret), func(_ context.Context, e appstle.Event) error {
		got <- "appstle " + e.Type
		return nil
	}))
	mux.Handle("/altpay", altpay.WebhookHandler(secret, func(_ context.Context, e altpay.Event) error {
		got <- "altpay " + e.Type
		return nil
	}))
	mux.Handle("/cartevo", cartevo.WebhookHandler(secret, func(_ context.Context, e cartevo.Event) error {
		if _, err := e.Payment(); err != nil && e.Type == "payment.collect" {
			return err
		}
		got <- "cartevo " + e.Type
		return nil
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, got
}

func TestWebhookSend(t *testing.T) {
	const secret = "cli-webhook-secret-123456"
	srv, got := receivers(t, secret)
	for _, p := range []string{"crovver", "appstle", "altpay", "cartevo"} {
		code, out, errs := cli(t, nil, "", "webhook", "send", "-provider", p, "-url", srv.URL+"/"+p, "-secret", secret)
		require.Equal(t, exitOK, code, errs)
		assert.Contains(t, out, "200 OK")
		assert.Equal(t, p+" "+webhookDefaults[p].event, <-got)
		assert.NotContains(t, out+errs, secret)
	}

	// -event and -data, and the secret from the environment
	dir := t.TempDir()
	file := filepath.Join(dir, "data.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"id":"sub_9","status":"canceled","plan_id":"plan_pro","external_tenant_id":"t9"}`), 0o600))
	env := map[string]string{webhookSecretEnv: secret}
	code, _, errs := cli(t, env, "", "webhook", "send", "-provider", "crovver", "-url", srv.URL+"/crovver", "-event", "subscription.canceled", "-data", file)
	require.Equal(t, exitOK, code, errs)
	assert.Equal(t, "crovver subscription.canceled", <-got)
	code, _, errs = cli(t, env, `{"id":"inv_1"}`, "webhook", "send", "-provider", "altpay", "-url", srv.URL+"/altpay", "-event", "invoice_created", "-data", "-")
	require.Equal(t, exitOK, code, errs)
	assert.Equal(t, "altpay invoice_created", <-got)

	// a receiver with another secret refuses: exit 1, the status shown
	code, out, errs := cli(t, nil, "", "webhook", "send", "-provider", "cartevo", "-url", srv.URL+"/cartevo", "-secret", "wrong-secret")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "401")
	assert.Contains(t, errs, "401")
	assert.NotContains(t, out+errs, "wrong-secret")

	for _, args := range [][]string{
		{"webhook"},
		{"webhook", "send", "-url", srv.URL, "-secret", "s"},
		{"webhook", "send", "-provider", "paypal", "-url", srv.URL, "-secret", "s"},
		{"webhook", "send", "-provider", "crovver", "-url", "ftp://x", "-secret", "s"},
		{"webhook", "send", "-provider", "crovver", "-url", srv.URL},
		{"webhook", "send", "-provider", "crovver", "-url", srv.URL, "-secret", "s", "-data", "-"},
		{"webhook", "send", "-provider", "crovver", "-url", srv.URL, "-secret", "s", "extra"},
	} {
		code, _, _ := cli(t, nil, "not json", args...)
		assert.Equal(t, exitUsage, code, args)
	}
	code, _, _ = cli(t, nil, "", "webhook", "send", "-provider", "crovver", "-url", "http://127.0.0.1:1/x", "-secret", "s")
	assert.Equal(t, exitFail, code, "nobody listening")
	code, _, _ = cli(t, nil, "", "webhook", "send", "-h")
	assert.Equal(t, exitOK, code)
	select {
	case e := <-got:
		t.Fatalf("unexpected event %s", e)
	default:
	}
}

// TestFakesWebhookFlags: "checkoutkit fakes -webhook-url -webhook-secret"
// wires the fakes to a receiver: a completed checkout on the crovver fake
// arrives verified.
func TestFakesWebhookFlags(t *testing.T) {
	const secret = "fakes-webhook-secret-42"
	srv, got := receivers(t, secret)
	port := freePorts(t, 1)
	env, _, stop := startFakes(t, "-only", "crovver", "-port", strconv.Itoa(port), "-webhook-url", srv.URL+"/crovver", "-webhook-secret", secret)
	assert.Equal(t, secret, env["CROVVER_WEBHOOK_SECRET"])

	c, err := crovver.New(env["CROVVER_PUBLIC_KEY"], crovver.WithBaseURL(env["CROVVER_BASE_URL"]))
	require.NoError(t, err)
	defer c.Close()
	tok, err := c.CheckoutToken(context.Background(), crovver.CheckoutTokenRequest{ExternalTenantID: "acme", ReturnURL: "http://127.0.0.1:1/back"})
	require.NoError(t, err)
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.PostForm(env["CROVVER_BASE_URL"]+"/pricing/subscribe", url.Values{"token": {tok.Token}, "plan": {"pro"}})
	require.NoError(t, err)
	resp.Body.Close()
	for _, want := range []string{"crovver subscription.created", "crovver subscription.activated"} {
		select {
		case e := <-got:
			assert.Equal(t, want, e)
		case <-time.After(5 * time.Second):
			t.Fatal("no webhook from the fake")
		}
	}
	st, err := c.SubscriptionStatus(context.Background(), "acme")
	require.NoError(t, err)
	assert.True(t, st.Active)
	assert.Equal(t, exitOK, stop())

	// appstle's export is a Svix secret the receiver accepts
	port = freePorts(t, 1)
	env, _, stop = startFakes(t, "-only", "appstle", "-port", strconv.Itoa(port), "-webhook-url", srv.URL+"/appstle", "-webhook-secret", secret)
	assert.True(t, strings.HasPrefix(env["APPSTLE_WEBHOOK_SECRET"], "whsec_"))
	assert.Equal(t, appstleSecret(secret), env["APPSTLE_WEBHOOK_SECRET"])
	assert.Equal(t, exitOK, stop())

	for _, args := range [][]string{
		{"fakes", "-webhook-url", srv.URL},
		{"fakes", "-webhook-secret", "s"},
		{"fakes", "-webhook-url", "nope", "-webhook-secret", "s"},
	} {
		code, _, _ := cli(t, nil, "", args...)
		assert.Equal(t, exitUsage, code, args)
	}
}

// TestFakesWebhookURLPerProvider: {provider} in -webhook-url becomes each
// fake's name, so one flag serves an app with a receiver per provider (the
// storefront's /webhooks/crovver and /webhooks/altpay).
func TestFakesWebhookURLPerProvider(t *testing.T) {
	const secret = "fakes-webhook-secret-per-provider"
	srv, got := receivers(t, secret)
	env, _, stop := startFakes(t, "-port", "0", "-webhook-url", srv.URL+"/{provider}", "-webhook-secret", secret)
	ctx := context.Background()
	wait := func(want string) {
		t.Helper()
		select {
		case e := <-got:
			assert.Equal(t, want, e)
		case <-time.After(5 * time.Second):
			t.Fatalf("no webhook from the fake, want %s", want)
		}
	}

	// crovver's checkout lands on /crovver
	c, err := crovver.New(env["CROVVER_PUBLIC_KEY"], crovver.WithBaseURL(env["CROVVER_BASE_URL"]))
	require.NoError(t, err)
	defer c.Close()
	tok, err := c.CheckoutToken(ctx, crovver.CheckoutTokenRequest{ExternalTenantID: "acme", ReturnURL: "http://127.0.0.1:1/back"})
	require.NoError(t, err)
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.PostForm(env["CROVVER_BASE_URL"]+"/pricing/subscribe", url.Values{"token": {tok.Token}, "plan": {"pro"}})
	require.NoError(t, err)
	resp.Body.Close()
	wait("crovver subscription.created")
	wait("crovver subscription.activated")

	// altpay's payment lands on /altpay
	ap, err := altpay.New(env["ALTPAY_CLIENT_ID"], env["ALTPAY_CLIENT_SECRET"], altpay.WithBaseURL(env["ALTPAY_BASE_URL"]))
	require.NoError(t, err)
	defer ap.Close()
	ct, err := ap.CheckoutToken(ctx, altpay.CheckoutTokenRequest{CustomerID: env["ALTPAY_CUSTOMER_ID"], InvoiceID: env["ALTPAY_INVOICE_ID"]})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, env["ALTPAY_BASE_URL"]+"/v1/checkout/pay", strings.NewReader("{}"))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+ct.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	wait("altpay invoice_paid")
	assert.Equal(t, exitOK, stop())

	// every fake gets its own name; a URL without the placeholder is used as is
	wh := webhookFlags{url: "http://127.0.0.1:8080/webhooks/{provider}?from={provider}"}
	for _, p := range providers {
		assert.Equal(t, "http://127.0.0.1:8080/webhooks/"+p+"?from="+p, wh.urlFor(p))
	}
	assert.Equal(t, "http://127.0.0.1:8080/hooks", webhookFlags{url: "http://127.0.0.1:8080/hooks"}.urlFor("appstle"))
	code, out, _ := cli(t, nil, "", "fakes", "-h")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "{provider}", "the flag's help says so")
	code, _, _ = cli(t, nil, "", "fakes", "-webhook-url", "http://{provider}/x", "-webhook-secret", "s")
	assert.Equal(t, exitUsage, code, "the placeholder is for the path, not the host")
}

// A Svix secret given without its "whsec_" prefix is the same key to
// appstle's receiver (which decodes the base64 either way), so the CLI must
// sign with that key too: it wrapped the text as base64 of itself, and the
// receiver answered 401 to a secret it had been given verbatim.
func TestWebhookSendAppstleSecretWithoutPrefix(t *testing.T) {
	const bare = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // appstletest.WebhookSecret without "whsec_"
	got := make(chan string, 1)
	srv := httptest.NewServer(appstle.WebhookHandler(bare, func(_ context.Context, e appstle.Event) error {
		got <- e.Type
		return nil
	}))
	t.Cleanup(srv.Close)
	code, out, errs := cli(t, nil, "", "webhook", "send", "-provider", "appstle", "-url", srv.URL, "-secret", bare)
	require.Equal(t, exitOK, code, "%s %s", out, errs)
	assert.Equal(t, webhookDefaults["appstle"].event, <-got)
	// A secret that is not base64 keeps its documented meaning.
	assert.Equal(t, "whsec_"+base64.StdEncoding.EncodeToString([]byte("cli-webhook-secret!")), appstleSecret("cli-webhook-secret!"))
	assert.Equal(t, "whsec_"+bare, appstleSecret(bare))
}

// Alternative Payments' webhooks carry the secret itself (Authorization:
// Bearer <secret>): over plain http it may only go to this machine, as
// WithBaseURL allows http only for loopback. The other providers send an
// HMAC, never the secret, and may use http anywhere.
func TestWebhookSecretInTheClearOnlyToLoopback(t *testing.T) {
	// Not loopback, and not a valid DNS name: Go's resolver refuses it
	// without a query, so that even code that took the URL sends nothing.
	for _, target := range []string{"http://not..loopback:8080/hooks"} {
		code, _, errs := cli(t, nil, "", "webhook", "send", "-provider", "altpay", "-url", target, "-secret", "s3cr3t-value")
		assert.Equal(t, exitUsage, code, target)
		assert.Contains(t, errs, "-url", target)
		assert.NotContains(t, errs, "s3cr3t-value")
		// Bounded: code that takes the URL runs the fakes until ctx ends.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		var out, errb strings.Builder
		code = run(ctx, []string{"fakes", "-only", "altpay", "-port", strconv.Itoa(freePorts(t, 4)), "-webhook-url", target, "-webhook-secret", "s3cr3t-value"},
			func(string) string { return "" }, strings.NewReader(""), &out, &errb)
		cancel()
		assert.Equal(t, exitUsage, code, target)
		assert.Contains(t, errb.String(), "-webhook-url", target)
	}
	srv, got := receivers(t, "s3cr3t-value")
	code, _, errs := cli(t, nil, "", "webhook", "send", "-provider", "altpay", "-url", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/altpay", "-secret", "s3cr3t-value")
	require.Equal(t, exitOK, code, errs)
	assert.Equal(t, "altpay "+webhookDefaults["altpay"].event, <-got)
}
