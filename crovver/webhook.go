package crovver

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/provider"
)

// Event is one verified Crovver webhook delivery, read from the envelope
// {id, type, created_at, org_id, data}.
type Event struct {
	ID        string          // the envelope's id; a manual retry resends it
	Type      string          // e.g. "subscription.activated"
	CreatedAt time.Time       // the envelope's created_at
	Data      json.RawMessage // the envelope's data, as received
	OrgID     string          // the envelope's org_id
}

// Webhook headers Crovver sends (docs: guides/outgoing-webhooks).
const (
	SignatureHeader = "X-Crovver-Signature" // "sha256=<hex HMAC-SHA256 of the raw body>"
	EventHeader     = "X-Crovver-Event"     // the event type, as in the body
)

// Crovver's event types.
const (
	EventSubscriptionCreated   = "subscription.created"
	EventSubscriptionActivated = "subscription.activated" // checkout completed
	EventSubscriptionUpdated   = "subscription.updated"
	EventSubscriptionRenewed   = "subscription.renewed"
	EventSubscriptionCanceled  = "subscription.canceled"
	EventWebhookTest           = "webhook.test"
)

// Subscription is the data of Crovver's subscription.* events.
type Subscription struct {
	ID                 string    `json:"id"`
	Status             string    `json:"status"` // e.g. "active", "trial", "past_due", "canceled"
	PlanID             string    `json:"plan_id"`
	BillingMode        string    `json:"billing_mode"`
	ExternalTenantID   string    `json:"external_tenant_id"` // the tenant id given to CheckoutToken
	TenantName         string    `json:"tenant_name"`
	CurrentPeriodStart time.Time `json:"current_period_start"`
	CurrentPeriodEnd   time.Time `json:"current_period_end"`
	CapacityUnits      int       `json:"capacity_units"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// Subscription decodes the data of a subscription.* event. Another event
// type, or data without external_tenant_id, is an error matching
// [ErrWebhookPayload].
func (e Event) Subscription() (*Subscription, error) {
	return provider.EventData(name, e.Type, "subscription.", e.Data, "a subscription with external_tenant_id",
		func(s *Subscription) bool { return s.ExternalTenantID != "" })
}

// webhookVerifier is how [VerifyWebhook] and [WebhookHandler] check a
// delivery with secret: the signature over the raw body.
func webhookVerifier(secret string, _ provider.WebhookSettings) (provider.Verify[Event], error) {
	return func(h http.Header, body []byte, _ time.Time) (Event, string, error) {
		sig, ok := strings.CutPrefix(h.Get(SignatureHeader), "sha256=")
		if !ok || !provider.EqualHex(sig, provider.HMACSHA256([]byte(secret), body)) {
			return Event{}, "", provider.WebhookError(name, ErrWebhookSignature, "%s missing or not the body's", SignatureHeader)
		}
		var env struct {
			ID        string          `json:"id"`
			Type      string          `json:"type"`
			CreatedAt string          `json:"created_at"`
			OrgID     string          `json:"org_id"`
			Data      json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			return Event{}, "", provider.WebhookError(name, ErrWebhookPayload, "body is not a JSON envelope")
		}
		if env.ID == "" || env.Type == "" {
			return Event{}, "", provider.WebhookError(name, ErrWebhookPayload, "envelope has no id or type")
		}
		if t := h.Get(EventHeader); t != "" && t != env.Type {
			return Event{}, "", provider.WebhookError(name, ErrWebhookPayload, "%s does not match the signed type", EventHeader)
		}
		ev := Event{ID: env.ID, Type: env.Type, OrgID: env.OrgID, Data: env.Data} // a RawMessage decodes into a copy of body
		if env.CreatedAt != "" {
			t, err := time.Parse(time.RFC3339Nano, env.CreatedAt)
			if err != nil {
				return Event{}, "", provider.WebhookError(name, ErrWebhookPayload, "created_at is not RFC 3339")
			}
			ev.CreatedAt = t
		}
		return ev, env.ID, nil
	}, nil
}
