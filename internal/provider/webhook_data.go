package provider

import (
	"encoding/json"
	"strings"

	"github.com/checkoutkit/checkoutkit"
)

// EventData is the one body of an Event accessor (crovver's
// Subscription, cartevo's Payment): typ must start with prefix ("payment.")
// and data must decode into a T that passes ok. Otherwise the error
// matches checkoutkit.ErrWebhookPayload and says what the data should be
// ("a payment with transaction_id").
func EventData[T any](provider, typ, prefix string, data []byte, what string, ok func(*T) bool) (*T, error) {
	if !strings.HasPrefix(typ, prefix) {
		return nil, WebhookError(provider, checkoutkit.ErrWebhookPayload, "event %q is not a %s event", typ, strings.TrimRight(prefix, "._"))
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil || !ok(&v) {
		return nil, WebhookError(provider, checkoutkit.ErrWebhookPayload, "data is not %s", what)
	}
	return &v, nil
}
