package cartevo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit"
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

// Errors that [VerifyWebhook] returns match one of these with errors.Is.
var (
	// ErrWebhookSignature: no X-Cartevo-Signature (unless
	// [WithUnsignedWebhooks]), or no v1 that is the delivery's.
	ErrWebhookSignature = checkoutkit.ErrWebhookSignature
	// ErrWebhookTimestamp: t missing or more than 5 minutes from the
	// receiver's clock.
	ErrWebhookTimestamp = checkoutkit.ErrWebhookTimestamp
	// ErrWebhookPayload: a signed body that is not {event, data}.
	ErrWebhookPayload = checkoutkit.ErrWebhookPayload
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
	if !strings.HasPrefix(e.Type, "payment.") {
		return nil, provider.WebhookError(name, ErrWebhookPayload, "event %q is not a payment event", e.Type)
	}
	var p Payment
	if err := json.Unmarshal(e.Data, &p); err != nil || p.TransactionID == "" {
		return nil, provider.WebhookError(name, ErrWebhookPayload, "data is not a payment with transaction_id")
	}
	return &p, nil
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

// VerifyWebhook checks one Cartevo delivery: X-Cartevo-Signature
// "t=<unix>,v1=<hex>" must carry a v1 equal (in constant time) to the
// HMAC-SHA256, keyed by the secret's bytes, of t + "." + body exactly as
// received, and t must be within 5 minutes of the clock. The signed string
// is not published by Cartevo: t + "." + body is inferred from the
// convention of this header form. A delivery without the header is refused
// (see [WithUnsignedWebhooks] for the handler). The body must be
// {event, data}. Errors match [ErrWebhookSignature],
// [ErrWebhookTimestamp] or [ErrWebhookPayload] and never contain the
// secret or the signature.
func VerifyWebhook(secret string, h http.Header, body []byte) (Event, error) {
	ev, _, err := verifyWebhook(secret, false, h, body, time.Now())
	return ev, err
}

func verifyWebhook(secret string, unsigned bool, h http.Header, body []byte, now time.Time) (Event, string, error) {
	if secret == "" {
		return Event{}, "", provider.WebhookError(name, ErrWebhookSignature, "empty secret")
	}
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
	ev.Type, ev.Data = env.Event, bytes.Clone(env.Data)
	return ev, id, nil
}

// WebhookHandler receives Cartevo's webhooks at the URL set in Cartevo's
// dashboard; secret is the webhook signing secret. Each POST is verified
// as [VerifyWebhook] does, on at most 1 MiB of raw body (413 past it), and
// answered:
//
//	a method other than POST                       405
//	a body over 1 MiB                              413
//	a missing or wrong signature                   401
//	a stale t, or a body that is no envelope       400
//	the same body already handled                  200, handle not called again
//	handle returned an error                       500 (Cartevo retries 3 times, 5 s apart)
//	handle returned nil                            200
//
// Cartevo sends no event id, so deliveries are deduped on a hash of the
// raw body (a retry re-signed with another t is still a duplicate), for 72 h ([WithWebhookDedupe]), in memory or across replicas
// ([WithWebhookStore]); a failed handle forgets it so that the retry is
// handled. Cartevo waits 10 s for an answer, so handle gets a context with
// a 9 s deadline ([WithWebhookTimeout]). Unsigned deliveries are refused
// unless [WithUnsignedWebhooks]. Refusals are logged ([WithWebhookLogger])
// without the secret or the signature.
//
// WebhookHandler panics on an empty secret or a nil handle, so that the
// mistake shows at start-up. The handler is safe for concurrent use.
func WebhookHandler(secret string, handle func(context.Context, Event) error, opts ...WebhookOption) http.Handler {
	s := applyWebhook(opts)
	return provider.WebhookHandler(provider.Webhook[Event]{
		Provider: name, Name: "cartevo.WebhookHandler", Secret: secret,
		Verify: func(h http.Header, body []byte, now time.Time) (Event, string, error) {
			return verifyWebhook(secret, s.Unsigned, h, body, now)
		},
		Handle:        handle,
		Type:          func(e Event) string { return e.Type },
		SecretHeaders: []string{SignatureHeader},
		Timeout:       9 * time.Second,
	}, s)
}
