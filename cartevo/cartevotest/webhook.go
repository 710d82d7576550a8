package cartevotest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/fakesrv"
)

// WebhookSecret is the secret the server signs webhooks with when
// [WithWebhook] is given an empty one.
const WebhookSecret = "cartevo_whsec_test_8e3b7d1f4a"

// WithWebhook makes the server deliver webhooks to url signed with secret
// ([WebhookSecret] if empty), as Cartevo signs them with signing on:
// [Server.CollectPayment] fires payment.collect, and [Server.SendWebhook]
// fires any event. Deliveries run in the background, in order, once each;
// see [Server.Deliveries].
func WithWebhook(url, secret string) Option {
	return func(s *Server) {
		if secret == "" {
			secret = WebhookSecret
		}
		s.webhookURL, s.webhookSecret = url, secret
	}
}

// WithUnsignedWebhooks sends webhooks without X-Cartevo-Signature, as
// Cartevo does while signing is off in its dashboard.
func WithUnsignedWebhooks() Option { return func(s *Server) { s.unsigned = true } }

// WithWebhooksHeld holds the webhooks the server fires until
// [Server.FlushWebhooks], so that a test can look at the state before the
// provider reports the outcome.
func WithWebhooksHeld() Option { return func(s *Server) { s.held = true } }

// SignWebhook builds one delivery as Cartevo sends it: the envelope
// {event, data} and X-Cartevo-Signature "t=<now, Unix seconds>,v1=<hex
// HMAC-SHA256 of t + "." + body, keyed by secret's bytes>" (the signed
// string is inferred: Cartevo does not publish it), with Content-Type
// application/json. An empty secret leaves the signature out. data is
// marshalled as JSON.
func SignWebhook(secret, event string, data any, now time.Time) (http.Header, []byte, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, nil, fmt.Errorf("cartevotest: webhook data: %w", err)
	}
	body, err := json.Marshal(map[string]any{"event": event, "data": json.RawMessage(raw)})
	if err != nil {
		return nil, nil, err
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if secret != "" {
		h.Set("X-Cartevo-Signature", SignBody(secret, now, body))
	}
	return h, body, nil
}

// SignBody returns the X-Cartevo-Signature value for body at now.
func SignBody(secret string, now time.Time, body []byte) string {
	t := strconv.FormatInt(now.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(t + "."))
	m.Write(body)
	return "t=" + t + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

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
// signature), as a provider's retry would.
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
func (s *Server) message(event string, data any) (fakesrv.Message, error) {
	if s.webhookURL == "" {
		return fakesrv.Message{}, fmt.Errorf("cartevotest: no webhook URL (WithWebhook)")
	}
	secret := s.webhookSecret
	if s.unsigned {
		secret = ""
	}
	h, body, err := SignWebhook(secret, event, data, s.now())
	if err != nil {
		return fakesrv.Message{}, err
	}
	return fakesrv.Message{URL: s.webhookURL, Type: event, Header: h, Body: body}, nil
}

// Payment is a mobile-money collection, the data of payment.collect.
type Payment struct {
	TransactionID string `json:"transaction_id"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	Operator      string `json:"operator"`
	PhoneNumber   string `json:"phone_number"`
	InitiatedAt   string `json:"initiated_at"`
}

// CollectPayment records a collection of amount (in currency's unit, e.g.
// XAF) and fires payment.collect with Cartevo's documented data. It
// returns the transaction id.
func (s *Server) CollectPayment(amount int64, currency, operator, phone string) string {
	p := Payment{
		TransactionID: newUUID(), Amount: amount, Currency: currency, Operator: operator, PhoneNumber: phone,
		InitiatedAt: s.now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhookURL != "" {
		if m, err := s.message("payment.collect", p); err == nil {
			s.hooks.Fire(m)
		}
	}
	return p.TransactionID
}

func newUUID() string {
	h := hex.EncodeToString(randomBytes(16))
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-" + h[16:20] + "-" + h[20:]
}
