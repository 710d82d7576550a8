package appstle

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/provider"
)

// Webhook headers Appstle sends through Svix. Standard Webhooks' names
// (webhook-id, webhook-timestamp, webhook-signature) are read too when the
// svix-* ones are absent.
const (
	IDHeader        = "svix-id"
	TimestampHeader = "svix-timestamp" // Unix seconds
	SignatureHeader = "svix-signature" // space-separated "v1,<base64>" list
)

// Some of Appstle's event types (docs: subscription/webhooks).
const (
	EventSubscriptionCreated   = "subscription.created"
	EventSubscriptionUpdated   = "subscription.updated"
	EventSubscriptionActivated = "subscription.activated"
	EventSubscriptionPaused    = "subscription.paused"
	EventSubscriptionCancelled = "subscription.cancelled"
	EventBillingSuccess        = "subscription.billing-success"
	EventBillingFailure        = "subscription.billing-failure"
)

// Event is one verified Appstle webhook delivery, read from the envelope
// {type, data} and Svix's headers.
type Event struct {
	ID        string          // svix-id; Svix's retries resend it
	Type      string          // e.g. "subscription.created"
	CreatedAt time.Time       // svix-timestamp
	Data      json.RawMessage // the envelope's data, as received
}

// Contract identifies the subscription contract an event is about: contract
// events carry data.id, a Shopify GID such as
// "gid://shopify/SubscriptionContract/123"; billing events a numeric
// data.contractId.
type Contract struct {
	ID         string // data.id as sent (a GID), if any
	ContractID int64  // the numeric contract id
	Status     string // data.status, if sent (e.g. "ACTIVE", "CANCELLED")
	CustomerID int64  // data.customerId, or the numeric part of data.customer.id, if sent
}

// Contract decodes which contract the event is about. Data with neither a
// contract GID nor a contractId is an error matching [ErrWebhookPayload].
func (e Event) Contract() (*Contract, error) {
	var d struct {
		ID         json.RawMessage `json:"id"`
		ContractID json.RawMessage `json:"contractId"`
		Status     string          `json:"status"`
		CustomerID json.RawMessage `json:"customerId"`
		Customer   *struct {
			ID json.RawMessage `json:"id"`
		} `json:"customer"`
	}
	if err := json.Unmarshal(e.Data, &d); err != nil {
		return nil, provider.WebhookError(name, ErrWebhookPayload, "data is not an object")
	}
	c := &Contract{Status: d.Status}
	if s, ok := jsonString(d.ID); ok && strings.HasPrefix(s, "gid://shopify/SubscriptionContract/") {
		c.ID = s
		c.ContractID, _ = gidNumber(s)
	}
	if n, ok := jsonInt(d.ContractID); ok {
		c.ContractID = n
	}
	if c.ContractID <= 0 {
		return nil, provider.WebhookError(name, ErrWebhookPayload, "data has no contract GID nor contractId")
	}
	if n, ok := jsonInt(d.CustomerID); ok {
		c.CustomerID = n
	} else if d.Customer != nil {
		if n, ok := jsonInt(d.Customer.ID); ok {
			c.CustomerID = n
		}
	}
	return c, nil
}

// jsonString reads a JSON string.
func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	return s, len(raw) > 0 && json.Unmarshal(raw, &s) == nil
}

// jsonInt reads a positive id sent as a number, a numeric string or a GID.
func jsonInt(raw json.RawMessage) (int64, bool) {
	var n int64
	if len(raw) > 0 && json.Unmarshal(raw, &n) == nil && n > 0 {
		return n, true
	}
	if s, ok := jsonString(raw); ok {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			return n, true
		}
		return gidNumber(s)
	}
	return 0, false
}

// gidNumber reads the number at the end of a Shopify GID.
func gidNumber(s string) (int64, bool) {
	if !strings.HasPrefix(s, "gid://shopify/") {
		return 0, false
	}
	n, err := strconv.ParseInt(s[strings.LastIndexByte(s, '/')+1:], 10, 64)
	return n, err == nil && n > 0
}

// webhookKey decodes a Svix endpoint secret: "whsec_" and standard base64
// (the prefix may be left out, as Svix's libraries allow).
func webhookKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(secret), "whsec_"))
	if err != nil || len(key) == 0 {
		return nil, provider.WebhookError(name, ErrWebhookSignature, "the secret is not whsec_ and base64")
	}
	return key, nil
}

// header reads a Svix header, or its Standard Webhooks twin.
func header(h http.Header, svix string) string {
	if v := h.Get(svix); v != "" {
		return v
	}
	return h.Get("webhook-" + strings.TrimPrefix(svix, "svix-"))
}

// webhookVerifier is how [VerifyWebhook] and [WebhookHandler] check a
// delivery with secret, a Svix endpoint secret decoded once here (an
// unusable one is an error matching ErrWebhookSignature).
func webhookVerifier(secret string, _ provider.WebhookSettings) (provider.Verify[Event], error) {
	key, err := webhookKey(secret)
	if err != nil {
		return nil, err
	}
	return func(h http.Header, body []byte, now time.Time) (Event, string, error) {
		return verifyWebhook(key, h, body, now)
	}, nil
}

func verifyWebhook(key []byte, h http.Header, body []byte, now time.Time) (Event, string, error) {
	id, ts, sigs := header(h, IDHeader), header(h, TimestampHeader), header(h, SignatureHeader)
	if id == "" || ts == "" || sigs == "" {
		return Event{}, "", provider.WebhookError(name, ErrWebhookSignature, "svix-id, svix-timestamp or svix-signature missing")
	}
	want := provider.HMACSHA256(key, []byte(id), []byte("."), []byte(ts), []byte("."), body)
	ok := false
	for _, s := range strings.Fields(sigs) {
		v, b64, found := strings.Cut(s, ",")
		if !found || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			ok = true // keep looping: the time taken does not tell which entry matched
		}
	}
	if !ok {
		return Event{}, "", provider.WebhookError(name, ErrWebhookSignature, "no v1 signature matches")
	}
	at, err := provider.UnixTimestamp(name, ts, now)
	if err != nil {
		return Event{}, "", err
	}
	var env struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Type == "" {
		return Event{}, "", provider.WebhookError(name, ErrWebhookPayload, "body is not a {type, data} envelope")
	}
	return Event{ID: id, Type: env.Type, CreatedAt: at, Data: env.Data}, id, nil // a RawMessage decodes into a copy of body
}
