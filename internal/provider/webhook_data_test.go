package provider

import (
	"errors"
	"testing"

	"github.com/checkoutkit/checkoutkit"
)

func TestEventData(t *testing.T) {
	type pay struct {
		ID string `json:"id"`
	}
	hasID := func(p *pay) bool { return p.ID != "" }
	p, err := EventData("cartevo", "payment.collect", "payment.", []byte(`{"id":"tx_1"}`), "a payment with id", hasID)
	if err != nil || p.ID != "tx_1" {
		t.Fatalf("%v %v", p, err)
	}
	for name, tc := range map[string]struct{ typ, data, want string }{
		"other type": {"card.created", `{"id":"x"}`, `cartevo webhook: ` + checkoutkit.ErrWebhookPayload.Error() + `: event "card.created" is not a payment event`},
		"not JSON":   {"payment.collect", `{`, `cartevo webhook: ` + checkoutkit.ErrWebhookPayload.Error() + `: data is not a payment with id`},
		"not ok":     {"payment.collect", `{"id":""}`, `cartevo webhook: ` + checkoutkit.ErrWebhookPayload.Error() + `: data is not a payment with id`},
	} {
		_, err := EventData("cartevo", tc.typ, "payment.", []byte(tc.data), "a payment with id", hasID)
		if !errors.Is(err, checkoutkit.ErrWebhookPayload) || err.Error() != tc.want {
			t.Errorf("%s: %v", name, err)
		}
	}
}
