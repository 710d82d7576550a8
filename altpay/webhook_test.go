package altpay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
)

func TestWebhookRegistrationContract(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, docAccess))
	mt.RegisterResponder(http.MethodPost, base+"/webhooks", func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, "Bearer opaque-access-token-123", r.Header.Get("Authorization"))
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		var body map[string]string
		require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
		assert.Equal(t, map[string]string{"endpoint_url": "https://shop.example/hooks/altpay", "secret_key": "wh-secret-0123456789", "topic": "invoice_paid"}, body)
		return respond(201, `{"id":"wh_1","endpoint_url":"https://shop.example/hooks/altpay","topic":"invoice_paid","is_active":true,"created_at":"2026-06-07T10:00:00Z"}`)(r)
	})
	wh, err := c.CreateWebhook(bg, altpay.CreateWebhookRequest{EndpointURL: "https://shop.example/hooks/altpay", SecretKey: "wh-secret-0123456789", Topic: altpay.TopicInvoicePaid})
	require.NoError(t, err)
	assert.Equal(t, altpay.Webhook{ID: "wh_1", EndpointURL: "https://shop.example/hooks/altpay", Topic: "invoice_paid", IsActive: true, CreatedAt: time.Date(2026, 6, 7, 10, 0, 0, 0, time.UTC)}, *wh)

	mt.RegisterResponder(http.MethodGet, base+"/webhooks", func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, "Bearer opaque-access-token-123", r.Header.Get("Authorization"))
		assert.Equal(t, url.Values{"limit": {"10"}, "topic": {"invoice_paid"}, "is_active": {"true"}, "after": {"wh_0"}}, r.URL.Query())
		return respond(200, `{"data":[{"id":"wh_1","endpoint_url":"https://shop.example/hooks/altpay","topic":"invoice_paid","is_active":true}]}`)(r)
	})
	active := true
	list, err := c.ListWebhooks(bg, altpay.ListWebhooksRequest{Limit: 10, Topic: "invoice_paid", IsActive: &active, After: "wh_0"})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "wh_1", list[0].ID)

	// a bare array reads the same
	mt.RegisterResponder(http.MethodGet, base+"/webhooks", respond(200, `[{"id":"wh_2","topic":"payment_failed"}]`))
	list, err = c.ListWebhooks(bg, altpay.ListWebhooksRequest{})
	require.NoError(t, err)
	assert.Equal(t, "wh_2", list[0].ID)
	assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+base+"/oauth/token"], "one cached OAuth token for all calls")

	// a 401 drops the token, mints once, retries once
	calls := 0
	mt.RegisterResponder(http.MethodGet, base+"/webhooks", func(r *http.Request) (*http.Response, error) {
		calls++
		if calls == 1 {
			return respond(401, `{"message":"Unauthorized"}`)(r)
		}
		return respond(200, `[]`)(r)
	})
	_, err = c.ListWebhooks(bg, altpay.ListWebhooksRequest{})
	require.NoError(t, err)
	assert.Equal(t, 2, mt.GetCallCountInfo()["POST "+base+"/oauth/token"])

	// errors keep the secret out
	mt.RegisterResponder(http.MethodPost, base+"/webhooks", respond(400, `{"code":"bad_request","message":"bad secret wh-secret-0123456789"}`))
	_, err = c.CreateWebhook(bg, altpay.CreateWebhookRequest{EndpointURL: "https://shop.example/h", SecretKey: "wh-secret-0123456789", Topic: "invoice_paid"})
	require.ErrorIs(t, err, altpay.ErrInvalidRequest)
	assert.NotContains(t, err.Error(), "wh-secret-0123456789")

	before := mt.GetTotalCallCount()
	for _, r := range []altpay.CreateWebhookRequest{
		{EndpointURL: "http://shop.example/h", SecretKey: "s", Topic: "t"},
		{EndpointURL: "https://shop.example/h", Topic: "t"},
		{EndpointURL: "https://shop.example/h", SecretKey: "s"},
	} {
		_, err := c.CreateWebhook(bg, r)
		assert.ErrorIs(t, err, altpay.ErrInvalidRequest, r)
	}
	assert.Equal(t, before, mt.GetTotalCallCount(), "nothing sent on bad input")
	r := altpay.CreateWebhookRequest{EndpointURL: "https://x", SecretKey: "never-printed-1234", Topic: "t"}
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v %s", r, r, r, r), "never-printed-1234")
}

// TestFakePaymentFiresInvoicePaid: a webhook registered through the API
// (and one configured on the fake) gets invoice_paid after a payment,
// with the registered secret as the bearer, and the receiver verifies it.
func TestFakePaymentFiresInvoicePaid(t *testing.T) {
	const regSecret = "registered-secret-key-42"
	events := make(chan altpay.Event, 4)
	recv := httptest.NewServer(altpay.WebhookHandler(regSecret, func(_ context.Context, e altpay.Event) error {
		events <- e
		return nil
	}))
	defer recv.Close()
	other := make(chan altpay.Event, 4)
	recv2 := httptest.NewServer(altpay.WebhookHandler(altpaytest.WebhookSecret, func(_ context.Context, e altpay.Event) error {
		other <- e
		return nil
	}))
	defer recv2.Close()

	srv := altpaytest.NewServer(altpaytest.WithWebhook(recv2.URL, ""), altpaytest.WithAllowedOrigin("http://shop.localhost"))
	defer srv.Close()
	c, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer c.Close()

	_, err = c.CreateWebhook(bg, altpay.CreateWebhookRequest{EndpointURL: recv.URL + "/hook", SecretKey: regSecret, Topic: altpay.TopicInvoicePaid})
	require.NoError(t, err)
	assert.True(t, srv.RegisteredWebhook(recv.URL+"/hook", "invoice_paid", regSecret))
	list, err := c.ListWebhooks(bg, altpay.ListWebhooksRequest{Topic: "invoice_paid"})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, recv.URL+"/hook", list[0].EndpointURL)

	tok, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_77"})
	require.NoError(t, err)
	assert.False(t, srv.Paid("inv_77"))
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/v1/checkout/pay", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, srv.Paid("inv_77"))

	for _, ch := range []chan altpay.Event{events, other} {
		select {
		case e := <-ch:
			assert.Equal(t, altpay.TopicInvoicePaid, e.Type)
			assert.NotEmpty(t, e.ID)
			inv, err := e.Invoice()
			require.NoError(t, err)
			assert.Equal(t, "inv_77", inv.ID)
			assert.Equal(t, "cus_1", inv.CustomerID)
			assert.Equal(t, "paid", inv.Status)
		case <-time.After(5 * time.Second):
			t.Fatal("no invoice_paid")
		}
	}
	ds, err := srv.WaitDeliveries(bg, 2)
	require.NoError(t, err)
	for _, d := range ds {
		assert.Equal(t, http.StatusOK, d.Status)
	}
	// the same delivery with another bearer is refused
	forged := ds[0]
	forged.Header = forged.Header.Clone()
	forged.Header.Set("Authorization", "Bearer guessed")
	assert.Equal(t, http.StatusUnauthorized, srv.Redeliver(bg, forged).Status)
	assert.Equal(t, http.StatusOK, srv.Redeliver(bg, ds[0]).Status, "a replay is answered")
	select {
	case e := <-events:
		t.Fatalf("replay handled again: %v", e.ID)
	case e := <-other:
		t.Fatalf("replay handled again: %v", e.ID)
	case <-time.After(50 * time.Millisecond):
	}

	d, err := srv.SendWebhook(bg, altpay.TopicPaymentFailed, map[string]any{"id": "pay_1"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, d.Status)
	assert.Equal(t, altpay.TopicPaymentFailed, (<-other).Type)
}

// TestFakeNotBlockedByStalledBody: one client stalling mid-body on the
// token or init endpoint must not hold the fake's lock (issue 20, item 12).
func TestFakeNotBlockedByStalledBody(t *testing.T) {
	srv := altpaytest.NewServer()
	defer srv.Close()
	u, _ := url.Parse(srv.URL())
	for _, path := range []string{"/oauth/token", "/v1/checkout-auth/init"} {
		conn, err := net.Dial("tcp", u.Host)
		require.NoError(t, err)
		defer conn.Close()
		_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"grant", path, u.Host)
		require.NoError(t, err)
	}
	time.Sleep(50 * time.Millisecond)
	c, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(bg, 2*time.Second)
	defer cancel()
	_, err = c.CheckoutToken(ctx, altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"})
	require.NoError(t, err, "a stalled body blocked another client")
}
