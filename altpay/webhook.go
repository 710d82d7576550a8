package altpay

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/provider"
)

// Some of Alternative Payments' webhook topics (an enum of its OpenAPI).
const (
	TopicInvoicePaid      = "invoice_paid"
	TopicInvoiceCreated   = "invoice_created"
	TopicInvoiceUpdated   = "invoice_updated"
	TopicPaymentSucceeded = "payment_succeeded"
	TopicPaymentFailed    = "payment_failed"
	TopicPaymentRefunded  = "payment_refunded"
)

// Event is one authenticated Alternative Payments webhook delivery.
// Alternative Payments does not document the delivery's body, so Event
// reads what a body carries and keeps all of it:
type Event struct {
	ID        string          // the body's "event_id", else its "id" (which may be the invoice's), if any
	Type      string          // the body's topic: "topic", else "type", "event" or "event_type" (e.g. "invoice_paid")
	CreatedAt time.Time       // the body's "created_at" (RFC 3339), if any
	Data      json.RawMessage // the whole body, as received
}

// Invoice is what an invoice_* event says about its invoice. The fields
// are read from the body's "data" object, or from the body itself when it
// has none; the shape is not documented, so check what your account sends.
type Invoice struct {
	ID         string  `json:"id"`         // data.id, or invoice_id
	InvoiceID  string  `json:"invoice_id"` // when sent, ID is set from it
	CustomerID string  `json:"customer_id"`
	Status     string  `json:"status"`
	Amount     float64 `json:"amount"`
	Currency   string  `json:"currency"`
}

// Invoice decodes an invoice_* event's invoice. Another topic, or a body
// with no invoice id, is an error matching [ErrWebhookPayload].
func (e Event) Invoice() (*Invoice, error) {
	if !strings.HasPrefix(e.Type, "invoice_") {
		return nil, provider.WebhookError(name, ErrWebhookPayload, "topic %q is not an invoice event", e.Type)
	}
	var outer struct {
		Data json.RawMessage `json:"data"`
	}
	raw, nested := []byte(e.Data), false
	if json.Unmarshal(raw, &outer) == nil && len(outer.Data) > 0 && outer.Data[0] == '{' {
		raw, nested = outer.Data, true
	}
	var inv Invoice
	if err := json.Unmarshal(raw, &inv); err != nil {
		return nil, provider.WebhookError(name, ErrWebhookPayload, "no invoice in the body")
	}
	switch {
	case inv.InvoiceID != "":
		inv.ID = inv.InvoiceID
	case !nested:
		inv.ID = "" // a flat body's "id" is the event's
	}
	if inv.ID == "" {
		return nil, provider.WebhookError(name, ErrWebhookPayload, "no invoice id in the body")
	}
	return &inv, nil
}

// webhookVerifier is how [VerifyWebhook] and [WebhookHandler] check a
// delivery with secret: the bearer secret, in constant time.
func webhookVerifier(secret string, _ provider.WebhookSettings) (provider.Verify[Event], error) {
	return func(h http.Header, body []byte, _ time.Time) (Event, string, error) {
		scheme, got, ok := strings.Cut(h.Get("Authorization"), " ")
		ok = ok && strings.EqualFold(scheme, "Bearer") // the scheme is case-insensitive (RFC 9110)
		// Compare digests: equal lengths, so the time taken says nothing of the
		// secret's length either.
		g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(secret))
		if subtle.ConstantTimeCompare(g[:], w[:]) != 1 || !ok {
			return Event{}, "", provider.WebhookError(name, ErrWebhookSignature, "Authorization is not the registered secret_key")
		}
		var b map[string]json.RawMessage
		if err := json.Unmarshal(body, &b); err != nil || b == nil {
			return Event{}, "", provider.WebhookError(name, ErrWebhookPayload, "body is not a JSON object")
		}
		str := func(keys ...string) string {
			for _, k := range keys {
				var s string
				if json.Unmarshal(b[k], &s) == nil && s != "" {
					return s
				}
			}
			return ""
		}
		// "event_id" names the event; "id" may be the invoice's.
		ev := Event{ID: str("event_id", "id"), Type: str("topic", "type", "event", "event_type"), Data: bytes.Clone(body)}
		if c := str("created_at"); c != "" {
			if t, err := time.Parse(time.RFC3339Nano, c); err == nil {
				ev.CreatedAt = t
			}
		}
		// The body is not documented: its "id" may be the invoice's, shared
		// by the invoice's events, so the topic is part of the dedupe id.
		id := ev.Type + "\x00" + ev.ID
		if ev.ID == "" {
			id = provider.ContentID(body)
		}
		return ev, id, nil
	}, nil
}
