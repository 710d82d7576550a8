package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
)

// webhookSecretEnv is read when -secret is not given (a flag's value shows
// in ps; the environment does not).
const webhookSecretEnv = "CHECKOUTKIT_WEBHOOK_SECRET"

// webhookDefaults is each provider's default event and sample data.
var webhookDefaults = map[string]struct {
	event string
	data  string
}{
	"crovver": {"subscription.activated", `{"id":"sub_cli","status":"active","plan_id":"plan_pro","billing_mode":"recurring","external_tenant_id":"your_user_id_123","tenant_name":"Acme Corp","current_period_start":"2026-06-07T00:00:00Z","current_period_end":"2026-07-07T00:00:00Z","capacity_units":1,"created_at":"2026-06-07T00:00:00Z","updated_at":"2026-06-07T00:00:00Z"}`},
	"appstle": {"subscription.created", `{"id":"gid://shopify/SubscriptionContract/123","status":"ACTIVE","customerId":12345}`},
	"altpay":  {"invoice_paid", `{"id":"inv_cli","customer_id":"cus_cli","status":"paid"}`},
	"cartevo": {"payment.collect", `{"transaction_id":"` + cartevoSampleTx + `","amount":1000,"currency":"XAF","operator":"mtn","phone_number":"237XXXXXXXXX","initiated_at":"2025-01-08T12:00:00.000Z"}`},
}

// cartevoSampleTx is the transaction_id of Cartevo's sample, replaced on
// each send (see sampleData).
const cartevoSampleTx = "550e8400-e29b-41d4-a716-446655440000"

// sampleData is provider's default data for one send. Cartevo's deliveries
// carry no event id and its receiver dedupes on the body, so each send gets
// a transaction_id of its own, as each collection does: a second send is a
// new event, not a duplicate that is answered 200 and never handled.
func sampleData(provider string) []byte {
	d := webhookDefaults[provider].data
	if provider == "cartevo" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
		h := hex.EncodeToString(b)
		d = strings.Replace(d, cartevoSampleTx, h[:8]+"-"+h[8:12]+"-"+h[12:16]+"-"+h[16:20]+"-"+h[20:], 1)
	}
	return []byte(d)
}

func runWebhook(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || args[0] != "send" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return runWebhookSend(ctx, args[:1], e) // send is the only subcommand: its help
		}
		return usagef("webhook: want \"webhook send\"")
	}
	return runWebhookSend(ctx, args[1:], e)
}

func runWebhookSend(ctx context.Context, args []string, e env) error {
	fs := newFlags("webhook send", "webhook send -provider P -url URL -secret S [-event TYPE] [-data FILE]",
		`  checkoutkit webhook send -provider crovver -url http://127.0.0.1:8080/webhooks/crovver -secret "$SECRET"
  checkoutkit webhook send -provider appstle -url http://127.0.0.1:8080/hooks -event subscription.cancelled -data contract.json

Signs one delivery exactly as the provider does (Crovver: X-Crovver-Signature;
Appstle: Svix headers; Cartevo: X-Cartevo-Signature; Alternative Payments:
Authorization: Bearer <secret>) and posts it. For appstle, a secret that is
base64, with or without "whsec_", is the Svix key as appstle's receiver
reads it; any other is used as "whsec_" + base64(secret), as "checkoutkit
fakes -webhook-secret" does. Alternative Payments' deliveries carry the
secret itself, so for altpay an http URL must name a loopback host (as for
"fakes -webhook-url"). The exit code is 0 only for a 2xx answer.`, e)
	provider := fs.String("provider", "", "crovver, appstle, altpay or cartevo")
	target := fs.String("url", "", "the receiver's URL (http or https)")
	secret := fs.String("secret", "", "the webhook secret (default $"+webhookSecretEnv+")")
	event := fs.String("event", "", "event type (default per provider: subscription.activated, subscription.created, invoice_paid, payment.collect)")
	dataFile := fs.String("data", "", "a JSON file with the event's data (- for stdin; default a sample)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("webhook send takes no arguments, got %q", fs.Arg(0))
	}
	def, ok := webhookDefaults[*provider]
	if !ok {
		return usagef("-provider: want one of %s", strings.Join(providers, ", "))
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("-url: want an http or https URL")
	}
	if *provider == "altpay" && !secretSafe(u) {
		return usagef("-url: %s", secretInClear)
	}
	if *secret == "" {
		*secret = e.getenv(webhookSecretEnv)
	}
	if *secret == "" {
		return usagef("-secret (or $%s) is required", webhookSecretEnv)
	}
	if *event == "" {
		*event = def.event
	}
	raw := sampleData(*provider)
	if *dataFile != "" {
		if raw, err = readData(*dataFile, e.stdin); err != nil {
			return err
		}
	}
	if !json.Valid(raw) {
		return usagef("-data: not JSON")
	}
	h, body, err := signWebhook(*provider, *secret, *event, json.RawMessage(raw), time.Now())
	if err != nil {
		return err
	}
	status, err := postWebhook(ctx, u.String(), h, body)
	if err != nil {
		return fmt.Errorf("webhook send: POST %s://%s%s: %w", u.Scheme, u.Host, u.Path, err)
	}
	fmt.Fprintf(e.stdout, "%s %s -> %s://%s%s: %d %s\n", *provider, *event, u.Scheme, u.Host, u.Path, status, http.StatusText(status))
	if status < 200 || status > 299 {
		return fmt.Errorf("webhook send: the receiver answered %d", status)
	}
	return nil
}

func readData(name string, stdin io.Reader) ([]byte, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("-data: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
	if err != nil {
		return nil, fmt.Errorf("-data: %w", err)
	}
	if len(b) > 1<<20 {
		return nil, usagef("-data: over 1 MiB, more than any receiver reads")
	}
	return b, nil
}

// appstleSecret is secret as a Svix endpoint secret: "whsec_" and the
// base64 when secret is base64, with or without the prefix (as appstle's
// receiver reads it), else "whsec_" + base64(secret).
func appstleSecret(secret string) string {
	b64 := strings.TrimPrefix(secret, "whsec_")
	if k, err := base64.StdEncoding.DecodeString(b64); err == nil && len(k) > 0 {
		return "whsec_" + b64
	}
	return "whsec_" + base64.StdEncoding.EncodeToString([]byte(secret))
}

// signWebhook builds one delivery as provider sends it, with the fakes'
// signers (the code the receivers' tests check).
func signWebhook(provider, secret, event string, data any, now time.Time) (http.Header, []byte, error) {
	switch provider {
	case "crovver":
		return crovvertest.SignWebhook(secret, event, data, now)
	case "appstle":
		return appstletest.SignWebhook(appstleSecret(secret), event, data, now)
	case "altpay":
		return altpaytest.SignWebhook(secret, event, data, now)
	case "cartevo":
		return cartevotest.SignWebhook(secret, event, data, now)
	}
	return nil, nil, fmt.Errorf("unknown provider %q", provider)
}

func postWebhook(ctx context.Context, target string, h http.Header, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(string(body)))
	if err != nil {
		return 0, err
	}
	req.Header = h
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, scrubURL(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, nil
}

// scrubURL drops the URL (which may carry a query with a token) from a
// transport error.
func scrubURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// webhookFakeVars are the export lines for a fake's webhook secret: the
// value its receiver is to be built with.
func webhookFakeVars(name, url, secret string) [][2]string {
	if url == "" {
		return nil
	}
	if name == "appstle" {
		secret = appstleSecret(secret)
	}
	return [][2]string{{strings.ToUpper(name) + "_WEBHOOK_SECRET", secret}}
}

// webhookFlags are fakes' -webhook-url and -webhook-secret.
type webhookFlags struct{ url, secret string }

// providerPlaceholder in -webhook-url is replaced by each fake's provider
// name, so that one flag serves an app with a receiver per provider.
const providerPlaceholder = "{provider}"

// urlFor is the webhook URL of provider's fake.
func (wh webhookFlags) urlFor(provider string) string {
	return strings.ReplaceAll(wh.url, providerPlaceholder, provider)
}

func webhookFlagsOf(fs *flag.FlagSet) *webhookFlags {
	wh := &webhookFlags{}
	fs.StringVar(&wh.url, "webhook-url", "", "deliver the fakes' webhooks (checkout completed, invoice paid, …) to this `URL`; "+
		providerPlaceholder+" in it becomes each fake's name (cartevo, crovver, appstle, altpay), e.g. http://127.0.0.1:8080/webhooks/"+providerPlaceholder)
	fs.StringVar(&wh.secret, "webhook-secret", "", "sign them with this secret (default $"+webhookSecretEnv+")")
	return wh
}

// Alternative Payments' webhooks carry the secret itself (Authorization:
// Bearer <secret>), so they go over plain http only to this machine, as
// the SDK's WithBaseURL allows.
const secretInClear = "Alternative Payments webhooks carry the secret itself: use https, or http only for a loopback host"

// secretSafe reports whether u may carry a secret: https, or http to a
// loopback host.
func secretSafe(u *url.URL) bool { return u.Scheme == "https" || loopbackHost(u.Hostname()) }

// check validates the flags; a URL needs a secret, and one that the
// Alternative Payments fake delivers to (altpay) must be secretSafe.
func (wh *webhookFlags) check(e env, altpay bool) error {
	if wh.url == "" {
		if wh.secret != "" {
			return usagef("-webhook-secret needs -webhook-url")
		}
		return nil
	}
	if u, err := url.Parse(wh.urlFor("crovver")); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("-webhook-url: want an http or https URL")
	} else if v, err := url.Parse(wh.urlFor("altpay")); err != nil || v.Host != u.Host {
		return usagef("-webhook-url: %s goes in the path or query, not the host", providerPlaceholder)
	} else if altpay && !secretSafe(v) {
		return usagef("-webhook-url: %s", secretInClear)
	}
	if wh.secret == "" {
		wh.secret = e.getenv(webhookSecretEnv)
	}
	if wh.secret == "" {
		return usagef("-webhook-url needs -webhook-secret (or $%s)", webhookSecretEnv)
	}
	return nil
}

func (wh webhookFlags) crovver() crovvertest.Option {
	if wh.url == "" {
		return nil
	}
	return crovvertest.WithWebhook(wh.urlFor("crovver"), wh.secret)
}

func (wh webhookFlags) appstle() appstletest.Option {
	if wh.url == "" {
		return nil
	}
	return appstletest.WithWebhook(wh.urlFor("appstle"), appstleSecret(wh.secret))
}

func (wh webhookFlags) altpay() altpaytest.Option {
	if wh.url == "" {
		return nil
	}
	return altpaytest.WithWebhook(wh.urlFor("altpay"), wh.secret)
}

func (wh webhookFlags) cartevo() cartevotest.Option {
	if wh.url == "" {
		return nil
	}
	return cartevotest.WithWebhook(wh.urlFor("cartevo"), wh.secret)
}
