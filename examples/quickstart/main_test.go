package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestQuickstartRunsOnFakes(t *testing.T) {
	var out bytes.Buffer
	noEnv := func(string) string { return "" }
	require.NoError(t, run(context.Background(), &out, noEnv))
	s := out.String()
	assert.Contains(t, s, "served by 1 mint: Bearer [redacted]")
	assert.Contains(t, s, "same token: true (mints: 1)")
	assert.Contains(t, s, "401 → one refresh → 2 wallets (mints: 2)")
	assert.Contains(t, s, "reused: true")
	assert.Contains(t, s, "303 See Other → 127.0.0.1")
	assert.Contains(t, s, "back to https://app.example.com/billing/done?status=success")
	assert.Contains(t, s, "(plan: pro, mints: 1 checkout + 1 portal)")
	assert.Contains(t, s, "PortalToken{CustomerID: 12345, Token: [redacted]")
	assert.Contains(t, s, "https://mystore.myshopify.com/tools/recurring/customer_portal?token=…")
	assert.Contains(t, s, "appstle: invalid Email: must be a single bare email address")
	assert.Contains(t, s, "1 for 3 checkout tokens")
	assert.Contains(t, s, "200, Cache-Control: no-store, reused: true")
	assert.NotContains(t, s, "eyJ", "no token value printed")
	assertAligned(t, s)
}

// What `eval "$(checkoutkit fakes)"` sets: credentials and *_BASE_URL for
// each provider; the quickstart then talks to those servers.
func TestQuickstartHonoursBaseURLs(t *testing.T) {
	cs, crs, as, ps := cartevotest.NewServer(), crovvertest.NewServer(), appstletest.NewServer(), altpaytest.NewServer()
	defer cs.Close()
	defer crs.Close()
	defer as.Close()
	defer ps.Close()
	env := map[string]string{
		"CARTEVO_CLIENT_ID": cartevotest.ClientID, "CARTEVO_CLIENT_KEY": cartevotest.ClientKey, "CARTEVO_BASE_URL": cs.URL(),
		"CROVVER_PUBLIC_KEY": crovvertest.PublicKey, "CROVVER_BASE_URL": crs.URL(),
		"APPSTLE_API_KEY": appstletest.APIKey, "APPSTLE_CUSTOMER_ID": "12345", "APPSTLE_SHOP": as.URL(), "APPSTLE_BASE_URL": as.URL(),
		"ALTPAY_CLIENT_ID": altpaytest.ClientID, "ALTPAY_CLIENT_SECRET": altpaytest.ClientSecret, "ALTPAY_BASE_URL": ps.URL(),
	}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(k string) string { return env[k] }))
	for _, base := range []string{cs.URL(), crs.URL(), as.URL(), ps.URL()} {
		assert.Contains(t, out.String(), "(local server at "+base+")", "a loopback server is not live")
	}
	assert.NotContains(t, out.String(), "live:")
	assert.Equal(t, 1, cs.Mints())
	assert.Equal(t, 1, crs.CheckoutTokens())
	assert.Equal(t, 1, as.PortalTokens())
	assert.GreaterOrEqual(t, ps.TokenRequests(), 1)
	assert.Contains(t, out.String(), "set ALTPAY_CUSTOMER_ID and ALTPAY_INVOICE_ID to mint one", "the altpay section says why it mints no checkout token")
	assertAligned(t, out.String())
}

// What checkoutkit fakes exports besides: its pid, a subscribed tenant, a
// customer and an invoice. The titles say the fakes, and the crovver and
// altpay sections mint what their titles promise.
func TestQuickstartOnCheckoutkitFakes(t *testing.T) {
	crs := crovvertest.NewServer(crovvertest.WithSubscription("demo-tenant", "pro"))
	ps := altpaytest.NewServer()
	defer crs.Close()
	defer ps.Close()
	env := map[string]string{
		"CHECKOUTKIT_FAKES_PID": "4242",
		"CROVVER_PUBLIC_KEY":    crovvertest.PublicKey, "CROVVER_BASE_URL": crs.URL(), "CROVVER_TENANT_ID": "demo-tenant",
		"ALTPAY_CLIENT_ID": altpaytest.ClientID, "ALTPAY_CLIENT_SECRET": altpaytest.ClientSecret, "ALTPAY_BASE_URL": ps.URL(),
		"ALTPAY_CUSTOMER_ID": "cus_demo", "ALTPAY_INVOICE_ID": "inv_demo",
	}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(k string) string { return env[k] }))
	s := out.String()
	assert.Contains(t, s, "crovver — tenant checkout tokens (checkoutkit fakes at "+crs.URL()+")")
	assert.Contains(t, s, "altpay — Alternative Payments access and checkout tokens (checkoutkit fakes at "+ps.URL()+")")
	assert.Regexp(t, `portal token +127\.0\.0\.1:\d+/billing\?token=… \(tenant demo-tenant\)`, s)
	assert.Contains(t, s, "CustomerID: cus_demo, InvoiceID: inv_demo")
	assert.Equal(t, 1, crs.PortalTokens())
	assert.Equal(t, 1, ps.CheckoutTokens())
	assert.NotContains(t, s, "eyJ", "no token value printed")
	assertAligned(t, s)
}

// assertAligned checks that every step's text starts in the same column:
// no label overflows its column.
func assertAligned(t *testing.T, out string) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "  ") {
			continue
		}
		r := []rune(l)
		require.Greater(t, len(r), 2+labelWidth+1, "%q", l)
		assert.Equal(t, "  ", string(r[2+labelWidth-1:2+labelWidth+1]), "the label fills or overflows its column: %q", l)
		assert.NotEqual(t, ' ', r[2+labelWidth+1], "the text starts in the column: %q", l)
	}
}
