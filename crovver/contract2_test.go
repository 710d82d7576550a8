package crovver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
)

// PROVIDERS.md, "What the providers really send": crovver-react's response
// types are {"success":true,"data":{"token":"…","expiresAt":"…",
// "checkoutUrl":"https://…"}} (portal: portalUrl), with no meta and no
// expiresIn. crovvertest.WithURLInData must send exactly that shape, so
// that code tested against it meets the lifetime rule the real variant
// needs (expiresAt, as no expiresIn is sent).
func TestContract2FakeURLInDataIsCrovverReactShape(t *testing.T) {
	srv := crovvertest.NewServer(crovvertest.WithURLInData(), crovvertest.WithSubscription("tenant_42", "pro"))
	defer srv.Close()
	for path, urlKey := range map[string]string{
		"/api/public/auth/checkout-token": "checkoutUrl",
		"/api/public/auth/portal-token":   "portalUrl",
	} {
		r, err := http.NewRequest(http.MethodPost, srv.URL()+path,
			strings.NewReader(`{"externalTenantId":"tenant_42","returnUrl":"https://app.example.com/"}`))
		require.NoError(t, err)
		r.Header.Set("x-public-key", crovvertest.PublicKey)
		r.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(r)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusCreated, resp.StatusCode, path)

		var v struct {
			Success bool                       `json:"success"`
			Data    map[string]json.RawMessage `json:"data"`
			Meta    json.RawMessage            `json:"meta"`
		}
		require.NoError(t, json.Unmarshal(body, &v), path)
		assert.True(t, v.Success, path)
		assert.Nil(t, v.Meta, "%s: no meta in crovver-react's shape", path)
		var keys []string
		for k := range v.Data {
			keys = append(keys, k)
		}
		assert.ElementsMatch(t, []string{"token", "expiresAt", urlKey}, keys, "%s: data as crovver-react's types have it", path)
	}

	// The client reads that shape's lifetime from expiresAt.
	c, err := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer c.Close()
	tok, err := c.CheckoutToken(context.Background(), crovver.CheckoutTokenRequest{ExternalTenantID: "tenant_42", ReturnURL: "https://app.example.com/"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(tok.CheckoutURL, srv.URL()+"/pricing?token="), tok.CheckoutURL)
	assert.InDelta(t, float64(crovvertest.TokenLifetime), float64(tok.ExpiresIn), float64(2*time.Second))
}
