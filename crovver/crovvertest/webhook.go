package crovvertest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/fakesrv"
)

// WebhookSecret is the webhook secret the server signs with when
// [WithWebhook] is given an empty one.
const WebhookSecret = "crovver_whsec_test_5b1e9d7c3a"

// OrgID is the org_id of the server's webhook envelopes.
const OrgID = "org_fake_crovvertest"

// WithWebhook makes the server deliver webhooks to url, signed with secret
// (or [WebhookSecret] if empty) as Crovver signs them: a completed checkout
// on the pricing page fires subscription.created then
// subscription.activated, and cancelling on the billing page fires
// subscription.canceled. Deliveries run in the background, in order, once
// each (Crovver does not retry); see [Server.Deliveries]. Without this
// option the server fires nothing.
func WithWebhook(url, secret string) Option {
	return func(s *Server) {
		if secret == "" {
			secret = WebhookSecret
		}
		s.webhookURL, s.webhookSecret = url, secret
	}
}

// WithWebhooksHeld holds the webhooks the server fires until
// [Server.FlushWebhooks], so that a test can look at the state before the
// provider reports the outcome.
func WithWebhooksHeld() Option { return func(s *Server) { s.held = true } }

// Delivery is one webhook delivery the server made: the request exactly as
// it was sent (a test can replay or tamper with it) and the receiver's
// answer.
type Delivery struct {
	Type   string
	URL    string
	Header http.Header
	Body   []byte
	Status int    // the receiver's status; 0 if it did not answer
	Err    string // why it did not answer
}

func delivery(d fakesrv.Delivery) Delivery {
	return Delivery{Type: d.Type, URL: d.URL, Header: d.Header, Body: d.Body, Status: d.Status, Err: d.Err}
}

// SignWebhook builds one delivery as Crovver sends it: the envelope {id,
// type, created_at, org_id, data} with a fresh id, and the headers
// X-Crovver-Signature ("sha256=" + hex HMAC-SHA256 of the body, keyed by
// secret's bytes), X-Crovver-Event, User-Agent Crovver-Webhook/1.0 and
// Content-Type application/json. data is marshalled as JSON.
func SignWebhook(secret, eventType string, data any, now time.Time) (http.Header, []byte, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, nil, fmt.Errorf("crovvertest: webhook data: %w", err)
	}
	body, err := json.Marshal(map[string]any{
		"id": newUUID(), "type": eventType, "created_at": now.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		"org_id": OrgID, "data": json.RawMessage(raw),
	})
	if err != nil {
		return nil, nil, err
	}
	return SignBody(secret, eventType, body), body, nil
}

// SignBody returns the headers Crovver sends with body.
func SignBody(secret, eventType string, body []byte) http.Header {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return http.Header{
		"X-Crovver-Signature": {"sha256=" + hex.EncodeToString(m.Sum(nil))},
		"X-Crovver-Event":     {eventType},
		"User-Agent":          {"Crovver-Webhook/1.0"},
		"Content-Type":        {"application/json"},
	}
}

// SetWebhook points the server's webhooks at url, signed with secret, as
// [WithWebhook] does, for a receiver that starts after the server (an
// empty url stops them). Events fired before are not sent again.
func (s *Server) SetWebhook(url, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	WithWebhook(url, secret)(s)
	return nil
}

// SendWebhook signs and delivers one event of eventType with data to the
// configured URL now, and returns the delivery. It fails if no
// [WithWebhook] was given or the data does not marshal.
func (s *Server) SendWebhook(ctx context.Context, eventType string, data any) (Delivery, error) {
	s.mu.Lock()
	m, err := s.message(eventType, data)
	s.mu.Unlock()
	if err != nil {
		return Delivery{}, err
	}
	return delivery(s.hooks.Send(ctx, m)), nil
}

// Redeliver sends a past delivery again exactly as it was (same id and
// signature), as the Retry button of Crovver's dashboard does.
func (s *Server) Redeliver(ctx context.Context, d Delivery) Delivery {
	return delivery(s.hooks.Send(ctx, fakesrv.Message{URL: d.URL, Type: d.Type, Header: d.Header, Body: d.Body}))
}

// Deliveries returns the deliveries made so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	var out []Delivery
	for _, d := range s.hooks.Deliveries() {
		out = append(out, delivery(d))
	}
	return out
}

// WaitDeliveries waits until at least n deliveries were made (or ctx ends)
// and returns them.
func (s *Server) WaitDeliveries(ctx context.Context, n int) ([]Delivery, error) {
	ds, err := s.hooks.Wait(ctx, n)
	var out []Delivery
	for _, d := range ds {
		out = append(out, delivery(d))
	}
	return out, err
}

// PendingWebhooks returns the types of the webhooks held by
// [WithWebhooksHeld], oldest first.
func (s *Server) PendingWebhooks() []string { return s.hooks.Pending() }

// FlushWebhooks delivers the held webhooks in order and reports the first
// that did not get a 2xx.
func (s *Server) FlushWebhooks(ctx context.Context) error { return s.hooks.Flush(ctx) }

// message signs one event for the configured URL. s.mu must be held.
func (s *Server) message(eventType string, data any) (fakesrv.Message, error) {
	if s.webhookURL == "" {
		return fakesrv.Message{}, fmt.Errorf("crovvertest: no webhook URL (WithWebhook)")
	}
	h, body, err := SignWebhook(s.webhookSecret, eventType, data, s.now())
	if err != nil {
		return fakesrv.Message{}, err
	}
	return fakesrv.Message{URL: s.webhookURL, Type: eventType, Header: h, Body: body}, nil
}

// fire signs and delivers events about sub, if a webhook URL is set.
func (s *Server) fire(sub subscription, types ...string) {
	if s.webhookURL == "" {
		return
	}
	var msgs []fakesrv.Message
	for _, t := range types {
		if m, err := s.message(t, sub); err == nil {
			msgs = append(msgs, m)
		}
	}
	s.hooks.Fire(msgs...)
}

// subscription is the data of subscription.* events, and what the status
// endpoint reports.
type subscription struct {
	ID                 string `json:"id"`
	Status             string `json:"status"`
	PlanID             string `json:"plan_id"`
	BillingMode        string `json:"billing_mode"`
	ExternalTenantID   string `json:"external_tenant_id"`
	TenantName         string `json:"tenant_name"`
	CurrentPeriodStart string `json:"current_period_start"`
	CurrentPeriodEnd   string `json:"current_period_end"`
	CapacityUnits      int    `json:"capacity_units"`
	CreatedAt          string `json:"created_at"`
	UpdatedAt          string `json:"updated_at"`
}

// PlanID is the plan_id of a plan named name ("pro": "plan_pro").
func PlanID(name string) string { return "plan_" + name }

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
