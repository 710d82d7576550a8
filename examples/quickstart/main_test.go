package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
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
}
