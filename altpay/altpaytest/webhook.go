package altpaytest

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/fakesrv"
)

// WebhookSecret is the secret_key the server sends with [WithWebhook]
// deliveries when given an empty one.
const WebhookSecret = "ap_whsec_test_2d8f6a1c9e"

// SignWebhook builds one delivery as the server sends it (Alternative
// Payments does not document the body): {"id": "evt_…", "topic",
// "created_at", "data"} with "Authorization: Bearer <secret>" and
// Content-Type application/json. data is marshalled as JSON.
func SignWebhook(secret, topic string, data any, now time.Time) (http.Header, []byte, error) {
	body, err := fakesrv.Envelope("altpaytest", map[string]any{
		"id": "evt_" + randomID(), "topic": topic, "created_at": now.UTC().Format(time.RFC3339),
	}, data)
	if err != nil {
		return nil, nil, err
	}
	return http.Header{"Authorization": {"Bearer " + secret}, "Content-Type": {"application/json"}}, body, nil
}

// fire delivers topic with data to the configured URL and to every active
// registered webhook of that topic. s.mu must be held.
func (s *Server) fire(topic string, data any) {
	var msgs []fakesrv.Message
	if s.webhookURL != "" {
		if m, err := s.message(topic, data); err == nil {
			msgs = append(msgs, m)
		}
	}
	for _, wh := range s.webhooks {
		if wh.Topic == topic && wh.IsActive {
			if m, err := s.messageTo(wh.EndpointURL, wh.secret, topic, data); err == nil {
				msgs = append(msgs, m)
			}
		}
	}
	s.hooks.Fire(msgs...)
}

// topics are the webhook topics of Alternative Payments' OpenAPI enum;
// POST /webhooks refuses any other.
var topics = []string{
	"invoice_paid", "invoice_created", "invoice_updated", "invoice_archived",
	"payment_succeeded", "payment_failed", "payment_refunded", "payment_chargeback",
	"payment_method_added", "payment_method_deleted", "default_payment_method_changed",
	"customer_created", "customer_updated", "customer_archived",
	"payout_paid", "payout_processing", "payout_scheduled", "payout_failed",
}

// webhook is a registration made through POST /webhooks.
type webhook struct {
	ID          string `json:"id"`
	EndpointURL string `json:"endpoint_url"`
	Topic       string `json:"topic"`
	IsActive    bool   `json:"is_active"`
	CreatedAt   string `json:"created_at"`
	secret      string
}

// Paid reports whether invoiceID was paid through the browser-facing API.
func (s *Server) Paid(invoiceID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paid[invoiceID]
}

// bearer checks the partner-API access token; it answers 401 and reports
// false when it is not valid. s.mu must be held.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) bool {
	raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	at, ok := s.access[raw]
	if !ok || !s.now().Before(at.expires) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Unauthorized"})
		return false
	}
	return true
}

// createWebhook serves POST /webhooks {endpoint_url, secret_key?, topic}.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var req struct {
		EndpointURL string `json:"endpoint_url"`
		SecretKey   string `json:"secret_key"`
		Topic       string `json:"topic"`
	}
	decodeErr := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.bearer(w, r) {
		return
	}
	if decodeErr != nil || req.EndpointURL == "" || req.Topic == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "bad_request", "message": "endpoint_url and topic are required"})
		return
	}
	if !slices.Contains(topics, req.Topic) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "bad_request", "message": "invalid topic",
			"validation_errors": map[string]string{"topic": "must be one of " + strings.Join(topics, ", ")}})
		return
	}
	s.nextWebhook++
	wh := webhook{
		ID: "wh_" + strconv.Itoa(s.nextWebhook), EndpointURL: req.EndpointURL, Topic: req.Topic,
		IsActive: true, CreatedAt: s.now().UTC().Format(time.RFC3339), secret: req.SecretKey,
	}
	s.webhooks = append(s.webhooks, wh)
	writeJSON(w, http.StatusCreated, wh)
}

// listWebhooks serves GET /webhooks?topic=&is_active=&limit= as {"data": […]}.
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.bearer(w, r) {
		return
	}
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	page := s.webhooks
	if after := q.Get("after"); after != "" {
		page = cursor(page, after, true)
	}
	if before := q.Get("before"); before != "" {
		page = cursor(page, before, false)
	}
	out := []webhook{}
	for _, wh := range page {
		if t := q.Get("topic"); t != "" && t != wh.Topic {
			continue
		}
		if a := q.Get("is_active"); a != "" && a != strconv.FormatBool(wh.IsActive) {
			continue
		}
		out = append(out, wh)
	}
	if limit > 0 && len(out) > limit {
		if q.Get("before") != "" && q.Get("after") == "" {
			out = out[len(out)-limit:] // the page just before the cursor
		} else {
			out = out[:limit]
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

// cursor is the part of page after (or before) the webhook id; nothing
// for an id not in page.
func cursor(page []webhook, id string, after bool) []webhook {
	i := slices.IndexFunc(page, func(wh webhook) bool { return wh.ID == id })
	switch {
	case i < 0:
		return nil
	case after:
		return page[i+1:]
	default:
		return page[:i]
	}
}

// RegisteredWebhook reports whether a webhook for topic is registered at
// url with secretKey (compared in constant time).
func (s *Server) RegisteredWebhook(url, topic, secretKey string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, wh := range s.webhooks {
		if wh.EndpointURL == url && wh.Topic == topic && subtle.ConstantTimeCompare([]byte(wh.secret), []byte(secretKey)) == 1 {
			return true
		}
	}
	return false
}
