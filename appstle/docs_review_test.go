package appstle_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// PortalToken's doc calls ExternalToken a secret, and the README promises
// that every token the client minted is redacted from errors and logs,
// including one the provider echoes back: appstleExternalToken too, when
// it is opaque (not JWT-shaped).
func TestEchoedExternalTokenIsRedacted(t *testing.T) {
	const external = "ext-OPAQUE-77c1d2e3f4a5b6c7"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/external/v2/customer-portal-token" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"customerId": 1, "token": "portal-opaque-0a1b2c3d4e5f", "appstleExternalToken": "`+external+`"}`)
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"title":"external token `+external+` is not valid here","status":400}`)
	}))
	defer api.Close()
	logger, logs := jsonLogs()
	c, err := appstle.New("apst_live_key_for_external_test", appstle.WithBaseURL(api.URL), appstle.WithLogger(logger))
	require.NoError(t, err)
	defer c.Close()

	tok, err := c.PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "1"})
	require.NoError(t, err)
	require.Equal(t, external, tok.ExternalToken)

	_, err = c.ManageSubscriptionLink(bg, "1")
	require.ErrorIs(t, err, appstle.ErrInvalidRequest)
	var ae *appstle.APIError
	require.ErrorAs(t, err, &ae)
	for _, out := range []string{err.Error(), fmt.Sprintf("%+v", err), ae.Message, logs.String()} {
		assert.NotContains(t, out, external)
	}
}

// ManageLink's doc says Link and PortalURL carry a token; the README
// promises that every token the client was handed is redacted from errors,
// even when the provider echoes it back.
func TestEchoedManageLinkIsRedacted(t *testing.T) {
	const link = "https://mystore.myshopify.com/apps/subscriptions/cp/8f3c2a1e9b7d4c6f"
	const portal = "https://mystore.myshopify.com/tools/recurring/customer_portal?token=opaque-9d8c7b6a5f4e"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/external/v2/manage-subscription-link/1" {
			_, _ = io.WriteString(w, `{"manageSubscriptionLink":"`+link+`","portalUrl":"`+portal+`","expiresInMinutes":120,"customerId":1}`)
			return
		}
		w.WriteHeader(http.StatusConflict)
		_, _ = io.WriteString(w, `{"title":"links `+link+` and `+portal+` are still active","status":409}`)
	}))
	defer api.Close()
	logger, logs := jsonLogs()
	c, err := appstle.New("apst_live_key_for_link_test", appstle.WithBaseURL(api.URL), appstle.WithLogger(logger))
	require.NoError(t, err)
	defer c.Close()

	l, err := c.ManageSubscriptionLink(bg, "1")
	require.NoError(t, err)
	require.Equal(t, link, l.Link)

	_, err = c.ManageSubscriptionLink(bg, "2")
	require.Error(t, err)
	for _, out := range []string{err.Error(), fmt.Sprintf("%+v", err), logs.String()} {
		assert.NotContains(t, out, "8f3c2a1e9b7d4c6f")
		assert.NotContains(t, out, "opaque-9d8c7b6a5f4e")
	}
}

// The same when the portal token came from a cache another client filled:
// that client minted it, this one only hands it out, and must redact it.
func TestEchoedExternalTokenFromASharedCacheIsRedacted(t *testing.T) {
	const external = "ext-OPAQUE-shared-5e6f7a8b9c0d"
	minted := 0
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/external/v2/customer-portal-token" {
			minted++
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"customerId": 1, "token": "portal-opaque-9f8e7d6c5b4a", "appstleExternalToken": "`+external+`"}`)
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"title":"external token `+external+` is not valid here","status":400}`)
	}))
	defer api.Close()
	cache := tokencache.New()
	defer cache.Close()
	var clients [2]*appstle.Client
	for i := range clients {
		c, err := appstle.New("apst_live_key_for_shared_test", appstle.WithBaseURL(api.URL), appstle.WithCache(cache))
		require.NoError(t, err)
		defer c.Close()
		clients[i] = c
	}
	_, err := clients[0].PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "1"})
	require.NoError(t, err)
	tok, err := clients[1].PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "1"})
	require.NoError(t, err)
	require.Equal(t, external, tok.ExternalToken)
	require.Equal(t, 1, minted, "the second client served the first one's token")

	_, err = clients[1].ManageSubscriptionLink(bg, "1")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), external)
}
