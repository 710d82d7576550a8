package crovver_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// A token a client hands out is redacted from its errors even when another
// client minted it: one sharing its cache (WithCache), or another replica
// through a Store. Only the minting client used to remember it, so the
// other one put an opaque token, echoed by the provider, in clear in err.
func TestTokenServedFromASharedCacheIsRedacted(t *testing.T) {
	const tok = "opaque_checkout_Q7w9XkP2mZ4v"
	body := `{"success": true, "data": {"token": "` + tok + `", "expiresAt": "` + time.Now().Add(10*time.Minute).UTC().Format(time.RFC3339) + `"}, "meta": {"checkoutUrl": "https://portal.crovver.com/pricing?token=` + tok + `", "expiresIn": 600}}`
	cache := tokencache.New()
	defer cache.Close()
	client := func(mt http.RoundTripper) *crovver.Client {
		c, err := crovver.New(publicKey, crovver.WithHTTPClient(&http.Client{Transport: mt}), crovver.WithCache(cache))
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	mtA, mtB := httpmock.NewMockTransport(), httpmock.NewMockTransport()
	mtA.RegisterResponder(http.MethodPost, checkoutURL, respond(201, body))
	mtB.RegisterResponder(http.MethodPost, checkoutURL, respond(400, docError("token "+tok+" is not valid for tenant_43", "INVALID_REQUEST")))
	a, b := client(mtA), client(mtB)
	req := crovver.CheckoutTokenRequest{ExternalTenantID: "tenant_42", ReturnURL: "https://app.example.com/done"}
	_, err := a.CheckoutToken(bg, req)
	require.NoError(t, err)
	got, err := b.CheckoutToken(bg, req)
	require.NoError(t, err)
	require.Equal(t, tok, got.Token, "B serves A's token from the shared cache")
	require.Zero(t, mtB.GetTotalCallCount())

	req.ExternalTenantID = "tenant_43"
	_, err = b.CheckoutToken(bg, req)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), tok)
	var ae *crovver.APIError
	require.ErrorAs(t, err, &ae)
	assert.NotContains(t, ae.Message, tok)
}
