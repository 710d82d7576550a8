package cartevotest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/fakesrv"
)

// WebhookSecret is the secret the server signs webhooks with when
// [WithWebhook] is given an empty one.
const WebhookSecret = "cartevo_whsec_test_8e3b7d1f4a"

// WithUnsignedWebhooks sends webhooks without X-Cartevo-Signature, as
// Cartevo does while signing is off in its dashboard.
func WithUnsignedWebhooks() Option { return func(s *Server) { s.unsigned = true } }

// SignWebhook builds one delivery as Cartevo sends it: the envelope
// {event, data} and X-Cartevo-Signature "t=<now, Unix seconds>,v1=<hex
// HMAC-SHA256 of t + "." + body, keyed by secret's bytes>" (the signed
// string is inferred: Cartevo does not publish it), with Content-Type
// application/json. An empty secret leaves the signature out. data is
// marshalled as JSON.
func SignWebhook(secret, event string, data any, now time.Time) (http.Header, []byte, error) {
	body, err := fakesrv.Envelope("cartevotest", map[string]any{"event": event}, data)
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
	s.fire(p, "payment.collect")
	return p.TransactionID
}

func newUUID() string {
	h := hex.EncodeToString(randomBytes(16))
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-" + h[16:20] + "-" + h[20:]
}
