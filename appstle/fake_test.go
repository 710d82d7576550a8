package appstle_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
)

// appstletest answers as Appstle's server does where that differs from the
// docs (issue 11).

func TestFakeUnknownEmailIsInvalidCustomer(t *testing.T) {
	c, srv, _ := fakeClient(t)
	_, err := c.PortalToken(bg, appstle.PortalTokenRequest{Email: "nobody@example.com"})
	var ae *appstle.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	assert.Equal(t, "invalidCustomer", ae.Code)
	assert.Equal(t, "Customer Email does not exist", ae.Message)
	assert.ErrorIs(t, err, appstle.ErrNotFound)
	assert.ErrorIs(t, err, appstle.ErrInvalidRequest)

	// The raw answer is JHipster's problem+json, verbatim.
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/api/external/v2/customer-portal-token?email=nobody%40example.com", nil)
	req.Header.Set("X-API-Key", appstletest.APIKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	assert.JSONEq(t, jhipsterInvalidCustomer, string(body))

	// An unknown id stays 404.
	_, err = c.PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "999"})
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusNotFound, ae.StatusCode)
}

func TestFakeOpaqueTokens(t *testing.T) {
	c, srv, clk := fakeClient(t, appstletest.WithOpaqueTokens())
	tok, err := c.PortalToken(bg, appstle.PortalTokenRequest{Email: appstletest.Email})
	require.NoError(t, err)
	assert.NotContains(t, tok.Token, ".", "not a JWT")
	assert.WithinDuration(t, clk.Now().Add(2*time.Hour), tok.ExpiresAt, near, "receipt + 2 h")
	assert.Equal(t, int64(appstletest.CustomerID), tok.CustomerID)

	page := func() int {
		resp, err := http.Get(srv.PortalPage(tok.Token))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, page())
	clk.Add(2 * time.Hour)
	assert.Equal(t, http.StatusUnauthorized, page(), "expired after Lifetime")
}

func TestFakeServerManageLinks(t *testing.T) {
	c, srv, clk := fakeClient(t, appstletest.WithServerManageLinks())
	l, err := c.ManageSubscriptionLink(bg, "12345")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(l.Link, "https://"+appstletest.Shop+"/apps/subscriptions/cp/"), l.Link)
	assert.Len(t, strings.TrimPrefix(l.Link, "https://"+appstletest.Shop+"/apps/subscriptions/cp/"), 16)
	assert.WithinDuration(t, clk.Now().Add(appstletest.ManageLinkLifetime), l.ExpiresAt, near)
	assert.Equal(t, 7*24*time.Hour, appstletest.ManageLinkLifetime)

	req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/api/external/v2/manage-subscription-link/12345", nil)
	req.Header.Set("X-API-Key", appstletest.APIKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Regexp(t, `^\{"manageSubscriptionLink":"https://mystore\.myshopify\.com/apps/subscriptions/cp/[0-9a-f]{16}","tokenExpirationTime":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"\}\n$`, string(body),
		"the server's two fields only, nanosecond precision")
}

func TestFakeMagicLinkAnswersPlainText(t *testing.T) {
	_, srv, _ := fakeClient(t)
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/api/external/v2/subscription-contracts-email-magic-link?email=ada%2Bsubs%40example.com", nil)
	req.Header.Set("X-API-Key", appstletest.APIKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "Email triggered successfully.", string(body))
	assert.Equal(t, []string{appstletest.Email}, srv.MagicLinksSent())
}
