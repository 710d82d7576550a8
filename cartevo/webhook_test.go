package cartevo_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
)

// docPaymentCollect is PROVIDERS.md's example, with its elided id filled in.
const docPaymentCollect = `{"event":"payment.collect","data":{"transaction_id":"550e8400-e29b-41d4-a716-446655440000","amount":1000,"currency":"XAF","operator":"mtn","phone_number":"237XXXXXXXXX","initiated_at":"2025-01-08T12:00:00.000Z"}}`

func TestVerifyWebhookDocExample(t *testing.T) {
	const secret = "cartevo-signing-secret"
	body := []byte(docPaymentCollect)
	now := time.Now()
	h := http.Header{"X-Cartevo-Signature": {cartevotest.SignBody(secret, now, body)}}
	e, err := cartevo.VerifyWebhook(secret, h, body)
	require.NoError(t, err)
	assert.Empty(t, e.ID, "Cartevo sends no event id")
	assert.Equal(t, cartevo.EventPaymentCollect, e.Type)
	assert.True(t, e.Signed)
	assert.Equal(t, now.Unix(), e.CreatedAt.Unix())
	p, err := e.Payment()
	require.NoError(t, err)
	assert.Equal(t, cartevo.Payment{
		TransactionID: "550e8400-e29b-41d4-a716-446655440000", Amount: 1000, Currency: "XAF", Operator: "mtn",
		PhoneNumber: "237XXXXXXXXX", InitiatedAt: time.Date(2025, 1, 8, 12, 0, 0, 0, time.UTC),
	}, *p)

	// several v1 entries (a key rotation): any one valid passes
	h.Set("X-Cartevo-Signature", fmt.Sprintf("t=%d,v1=%064x,%s", now.Unix(), 1, cartevotest.SignBody(secret, now, body)[len(fmt.Sprint("t=", now.Unix(), ",")):]))
	_, err = cartevo.VerifyWebhook(secret, h, body)
	require.NoError(t, err)
	// the signature covers t: moving t breaks it
	h.Set("X-Cartevo-Signature", fmt.Sprintf("t=%d,%s", now.Unix()+1, cartevotest.SignBody(secret, now, body)[len(fmt.Sprint("t=", now.Unix(), ",")):]))
	_, err = cartevo.VerifyWebhook(secret, h, body)
	assert.ErrorIs(t, err, cartevo.ErrWebhookSignature)
	// unsigned: refused by VerifyWebhook
	_, err = cartevo.VerifyWebhook(secret, http.Header{}, body)
	assert.ErrorIs(t, err, cartevo.ErrWebhookSignature)
	_, err = cartevo.Event{Type: "card.created", Data: []byte(`{}`)}.Payment()
	assert.ErrorIs(t, err, cartevo.ErrWebhookPayload)
}

func TestFakeCollectPaymentFiresWebhook(t *testing.T) {
	events := make(chan cartevo.Event, 4)
	handle := func(_ context.Context, e cartevo.Event) error { events <- e; return nil }
	recv := httptest.NewServer(cartevo.WebhookHandler(cartevotest.WebhookSecret, handle))
	defer recv.Close()
	srv := cartevotest.NewServer(cartevotest.WithWebhook(recv.URL, ""))
	defer srv.Close()

	tx := srv.CollectPayment(1000, "XAF", "mtn", "237600000000")
	var e cartevo.Event
	select {
	case e = <-events:
	case <-time.After(5 * time.Second):
		t.Fatal("no payment.collect")
	}
	p, err := e.Payment()
	require.NoError(t, err)
	assert.Equal(t, tx, p.TransactionID)
	assert.EqualValues(t, 1000, p.Amount)
	ds, err := srv.WaitDeliveries(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, ds[0].Status)
	assert.Equal(t, http.StatusOK, srv.Redeliver(context.Background(), ds[0]).Status, "a retry is answered")
	select {
	case <-events:
		t.Fatal("a retry was handled twice")
	case <-time.After(50 * time.Millisecond):
	}

	// with signing off, the receiver refuses unless told otherwise
	unsigned := cartevotest.NewServer(cartevotest.WithWebhook(recv.URL, ""), cartevotest.WithUnsignedWebhooks())
	defer unsigned.Close()
	d, err := unsigned.SendWebhook(context.Background(), cartevo.EventCardCreated, map[string]any{"card_id": "c1"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, d.Status)
	lax := httptest.NewServer(cartevo.WebhookHandler(cartevotest.WebhookSecret, handle, cartevo.WithUnsignedWebhooks()))
	defer lax.Close()
	d = unsigned.Redeliver(context.Background(), cartevotest.Delivery{URL: lax.URL, Type: d.Type, Header: d.Header, Body: d.Body})
	assert.Equal(t, http.StatusOK, d.Status)
	assert.False(t, (<-events).Signed)
}

// TestFakeTokenNotBlockedByStalledBody (issue 20, item 12).
func TestFakeTokenNotBlockedByStalledBody(t *testing.T) {
	srv := cartevotest.NewServer()
	defer srv.Close()
	u, _ := url.Parse(srv.URL())
	conn, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /api/v1/auth/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"client_id\":", u.Host)
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond)
	c, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = c.AccessToken(ctx)
	require.NoError(t, err, "a stalled body blocked another client's mint")
}
