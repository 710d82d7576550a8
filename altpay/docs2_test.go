package altpay_test

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/checkoutkit/checkoutkit/altpay"
)

// The README promises that an exp claim that is there but unreadable
// refuses a checkout token; with expires_in (or expires_at) beside it, the
// token was served, its own expiry unknown.
func TestCheckoutJWTWithUnreadableExpIsRefused(t *testing.T) {
	for _, claims := range []string{
		`{"customer_id":"cus_me","invoice_id":"inv_me","exp":"soon"}`,
		`{"customer_id":"cus_me","invoice_id":"inv_me","exp":null}`,
		`{"customer_id":"cus_me","invoice_id":"inv_me","exp":{"t":1}}`,
		`{"customer_id":"cus_me","invoice_id":"inv_me","exp":0}`,
	} {
		tok := unsignedJWT(`{"alg":"HS256","typ":"JWT"}`, claims, "c2ln")
		c := initServer(t, `{"token":"`+tok+`","expires_in":600}`)
		got, err := c.CheckoutToken(t.Context(), me)
		if assert.ErrorIs(t, err, altpay.ErrUnexpectedResponse, "%s: served %v", claims, got) {
			assert.NotContains(t, err.Error(), tok)
		}
	}
}

// CreateWebhookRequest prints without its SecretKey, but slog's JSON
// handler marshals a value that is no LogValuer with encoding/json: the
// webhook secret (what authenticates every delivery) went into the log.
func TestCreateWebhookRequestLogsWithoutItsSecret(t *testing.T) {
	const secret = "whsec-altpay-SECRET-9d8c7b6a"
	req := altpay.CreateWebhookRequest{EndpointURL: "https://shop.example/webhooks/altpay", SecretKey: secret, Topic: altpay.TopicInvoicePaid}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		slog.New(h).Info("registering", "req", req, "ptr", &req)
	}
	assert.NotContains(t, buf.String(), secret)
	assert.Contains(t, buf.String(), "shop.example")
}
