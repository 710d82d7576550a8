package altpay_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
)

// altpay's REST helpers are cartevo's (one implementation in
// internal/provider), on a wire without an envelope.
func TestCallAndURLAgainstTheFake(t *testing.T) {
	srv := altpaytest.NewServer()
	defer srv.Close()
	c, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer c.Close()

	assert.Equal(t, srv.URL()+"/webhooks", c.URL("/webhooks"))

	var created struct {
		ID          string `json:"id"`
		EndpointURL string `json:"endpoint_url"`
		Topic       string `json:"topic"`
	}
	in := map[string]string{"endpoint_url": "https://shop.example.com/hooks/ap", "secret_key": "whsec_call_test", "topic": "invoice_paid"}
	require.NoError(t, c.Call(bg, http.MethodPost, "/webhooks", in, &created))
	assert.NotEmpty(t, created.ID)
	assert.Equal(t, "invoice_paid", created.Topic)
	assert.True(t, srv.RegisteredWebhook(in["endpoint_url"], "invoice_paid", "whsec_call_test"))

	var list struct {
		Data []struct {
			ID    string `json:"id"`
			Topic string `json:"topic"`
		} `json:"data"`
	}
	require.NoError(t, c.Call(bg, http.MethodGet, "/webhooks?topic=invoice_paid&limit=5", nil, &list))
	require.Len(t, list.Data, 1)
	assert.Equal(t, created.ID, list.Data[0].ID)
	require.NoError(t, c.Call(bg, http.MethodGet, "/webhooks?topic=payout_paid", nil, &list))
	assert.Empty(t, list.Data, "the query string in path is sent as the query")
	require.NoError(t, c.Call(bg, http.MethodGet, "/webhooks", nil, nil), "a nil out ignores the answer")

	// A 401 refreshes the access token once and retries, as Do does.
	mints := srv.Mints()
	srv.RevokeTokens(altpaytest.ClientID)
	require.NoError(t, c.Call(bg, http.MethodGet, "/webhooks", nil, &list))
	assert.Equal(t, mints+1, srv.Mints())

	// Bad input names the parameter and sends nothing.
	before := srv.TokenRequests()
	err = c.Call(bg, http.MethodPost, "/webhooks", make(chan int), nil)
	var fe *altpay.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "in", fe.Field)
	assert.Equal(t, before, srv.TokenRequests())

	// Non-2xx answers are the provider's errors.
	err = c.Call(bg, http.MethodGet, "/no-such-endpoint", nil, nil)
	assert.ErrorIs(t, err, altpay.ErrNotFound)
	err = c.Call(bg, http.MethodPost, "/webhooks", map[string]string{"topic": "invoice_paid"}, nil)
	assert.ErrorIs(t, err, altpay.ErrInvalidRequest)
	var apiErr *altpay.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)

	// A 2xx body of another shape is ErrUnexpectedResponse.
	var wrong []int
	assert.ErrorIs(t, c.Call(bg, http.MethodGet, "/webhooks", nil, &wrong), altpay.ErrUnexpectedResponse)
}

// The fake's 0.2 names keep working beside the ones every fake shares.
func TestFakeDeprecatedNames(t *testing.T) {
	srv := altpaytest.NewServer(altpaytest.WithRateLimit(100)) // the 0.2 form: per second
	defer srv.Close()
	c, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.OAuthCalls())
	assert.Equal(t, srv.TokenRequests(), srv.OAuthCalls())
	assert.Equal(t, 1, srv.Mints())
	assert.Equal(t, 1, srv.InitCalls("/v1/checkout-auth/init"))
	assert.Equal(t, srv.CheckoutTokenRequests("/v1/checkout-auth/init"), srv.InitCalls("/v1/checkout-auth/init"))

	srv.RevokeAccessTokens()
	tok, err := c.AccessToken(bg)
	require.NoError(t, err)
	resp, err := c.Do(mustRequest(t, c.URL("/webhooks")))
	require.NoError(t, err)
	resp.Body.Close()
	again, err := c.AccessToken(bg)
	require.NoError(t, err)
	assert.NotEqual(t, tok.Value, again.Value, "the revoked token was replaced")
	assert.Equal(t, 2, srv.Mints())
}

// WithRateLimit(n, window) is the shape of every fake's rate limit.
func TestFakeRateLimitWindow(t *testing.T) {
	srv := altpaytest.NewServer(altpaytest.WithRateLimit(1, time.Hour))
	defer srv.Close()
	for i, want := range []bool{true, false} {
		c, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()), altpay.WithMaxAttempts(1))
		require.NoError(t, err)
		_, err = c.AccessToken(bg)
		c.Close()
		if want {
			assert.NoError(t, err, i)
		} else {
			assert.ErrorIs(t, err, altpay.ErrRateLimited, i)
		}
	}
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	return req
}

// InvalidateCheckout takes back what CheckoutToken returned, as
// InvalidateToken does; the 0.2 form keeps working.
func TestInvalidateCheckout(t *testing.T) {
	srv := altpaytest.NewServer()
	defer srv.Close()
	c, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer c.Close()
	r := altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"}
	other := altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_2"}

	tok, err := c.CheckoutToken(bg, r)
	require.NoError(t, err)
	assert.Equal(t, r, tok.Request)
	otherTok, err := c.CheckoutToken(bg, other)
	require.NoError(t, err)

	c.InvalidateCheckout(nil) // nothing to drop
	c.InvalidateCheckout(tok)
	fresh, err := c.CheckoutToken(bg, r)
	require.NoError(t, err)
	assert.NotEqual(t, tok.Token, fresh.Token)
	again, err := c.CheckoutToken(bg, other)
	require.NoError(t, err)
	assert.Equal(t, otherTok.Token, again.Token, "only that request's token was dropped")
	c.InvalidateCheckout(tok) // a stale one: no-op
	same, err := c.CheckoutToken(bg, r)
	require.NoError(t, err)
	assert.Equal(t, fresh.Token, same.Token)

	c.InvalidateCheckoutToken(r, same.Token) // deprecated form
	newer, err := c.CheckoutToken(bg, r)
	require.NoError(t, err)
	assert.NotEqual(t, same.Token, newer.Token)
	assert.Equal(t, 4, srv.CheckoutTokens())
}
