package cartevo

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/provider"
)

// SignatureHeader is the header Cartevo signs deliveries with, when signing
// is enabled in the dashboard: "t=<unix seconds>,v1=<hex HMAC-SHA256>".
const SignatureHeader = "X-Cartevo-Signature"

// Some of Cartevo's event types (developer.cartevo.co, webhook page).
const (
	EventPaymentCollect = "payment.collect"
	EventCardCreated    = "card.created"
	EventCardFund       = "card.fund"
	EventCardWithdraw   = "card.withdraw"
)

// Event is one verified Cartevo webhook delivery, read from the envelope
// {event, data}.
type Event struct {
	// ID is empty: Cartevo's deliveries carry no event id. [WebhookHandler]
	// dedupes on a hash of the signed body instead (the same whether or not
	// a retry is signed with a new t).
	ID        string
	Type      string          // the envelope's event, e.g. "payment.collect"
	CreatedAt time.Time       // t of the signature; zero for an unsigned delivery
	Data      json.RawMessage // the envelope's data, as received
	// Signed reports whether the delivery carried a verified signature
	// (false only for one accepted with [WithUnsignedWebhooks]).
	Signed bool
}

// Payment is the data of a payment.collect event.
type Payment struct {
	TransactionID string    `json:"transaction_id"`
	Amount        float64   `json:"amount"` // in the currency's unit, e.g. 1000 XAF
	Currency      string    `json:"currency"`
	Operator      string    `json:"operator"` // e.g. "mtn"
	PhoneNumber   string    `json:"phone_number"`
	InitiatedAt   time.Time `json:"initiated_at"`
}

// Payment decodes the data of a payment.* event. Another type, or data
// without transaction_id, is an error matching [ErrWebhookPayload].
func (e Event) Payment() (*Payment, error) {
	return provider.EventData(name, e.Type, "payment.", e.Data, "a payment with transaction_id",
		func(p *Payment) bool { return p.TransactionID != "" })
}

// WithUnsignedWebhooks makes [WebhookHandler] accept deliveries that carry
// no X-Cartevo-Signature at all, as Cartevo sends them while signing is off
// in its dashboard. Anyone who knows the URL can then post events: turn
// signing on instead where you can. A delivery that carries a signature is
// still verified. Default: refused with 401.
func WithUnsignedWebhooks() WebhookOption {
	return func(o *webhookOptions) { o.Unsigned = true }
}

// signedContent is what Cartevo's v1 signs. Cartevo's page stops at "take
// the raw request body exactly as received"; t + "." + body is inferred
// from the convention of this header form. Change this one line if Cartevo
// publishes otherwise.
func signedContent(t string, body []byte) [][]byte { return [][]byte{[]byte(t), []byte("."), body} }

// webhookVerifier is how [VerifyWebhook] and [WebhookHandler] check a
// delivery with secret: the signature over t and the body, within the
// timestamp tolerance of now; an unsigned delivery only with
// [WithUnsignedWebhooks] (s.Unsigned, never for VerifyWebhook).
func webhookVerifier(secret string, s provider.WebhookSettings) (provider.Verify[Event], error) {
	return func(h http.Header, body []byte, now time.Time) (Event, string, error) {
		return verifyWebhook(secret, s.Unsigned, h, body, now)
	}, nil
}

func verifyWebhook(secret string, unsigned bool, h http.Header, body []byte, now time.Time) (Event, string, error) {
	hv := h.Get(SignatureHeader)
	var ev Event
	var id string
	switch {
	case hv == "" && unsigned:
		id = provider.ContentID(body)
	case hv == "":
		return Event{}, "", provider.WebhookError(name, ErrWebhookSignature, "%s missing", SignatureHeader)
	default:
		var t string
		var sigs []string
		for _, part := range strings.Split(hv, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "t":
				t = v
			case "v1":
				sigs = append(sigs, v)
			}
		}
		if t == "" || len(sigs) == 0 {
			return Event{}, "", provider.WebhookError(name, ErrWebhookSignature, "%s has no t or no v1", SignatureHeader)
		}
		want := provider.HMACSHA256([]byte(secret), signedContent(t, body)...)
		ok := false
		for _, s := range sigs {
			ok = provider.EqualHex(s, want) || ok
		}
		if !ok {
			return Event{}, "", provider.WebhookError(name, ErrWebhookSignature, "no v1 signature matches")
		}
		at, err := provider.UnixTimestamp(name, t, now)
		if err != nil {
			return Event{}, "", err
		}
		ev.CreatedAt, ev.Signed = at, true
		id = provider.ContentID(body) // a retry re-signed with a new t is the same event
	}
	var env struct {
		Event string          `json:"event"`
		Data  json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Event == "" {
		return Event{}, "", provider.WebhookError(name, ErrWebhookPayload, "body is not an {event, data} envelope")
	}
	ev.Type, ev.Data = env.Event, env.Data // a RawMessage decodes into a copy of body
	return ev, id, nil
}
