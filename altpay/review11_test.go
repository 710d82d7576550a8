package altpay_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/altpay"
)

// ListWebhooks reads a bare array whatever JSON whitespace comes before
// it (a pretty-printed body, a trailing-newline writer's leading one).
// Before, " [ … ]" was tried as {"data": …} and failed with
// ErrUnexpectedResponse: the backend could not list its webhooks.
func TestListWebhooksReadsAnArrayAfterWhitespace(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, docAccess))
	for _, body := range []string{" []", "\n[{\"id\":\"wh_1\",\"topic\":\"invoice_paid\"}]", "\r\n\t [{\"id\":\"wh_1\"}]"} {
		mt.RegisterResponder(http.MethodGet, base+"/webhooks", respond(200, body))
		list, err := c.ListWebhooks(bg, altpay.ListWebhooksRequest{})
		require.NoError(t, err, "%q", body)
		if len(list) > 0 {
			assert.Equal(t, "wh_1", list[0].ID)
		}
	}
}

// ListWebhooks checks its filters as CreateWebhook checks Topic: a
// negative Limit, or a cursor or topic of spaces only or with a control
// character, is a FieldError naming the field, before any request. Before,
// Limit -1 was dropped silently (the API's default page came back as if
// asked for) and Topic "invoice_paid\n" went out as topic=invoice_paid%0A,
// listing nothing.
func TestListWebhooksRefusesBadFilters(t *testing.T) {
	c, mt, _ := mockClient(t)
	mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, docAccess))
	mt.RegisterResponder(http.MethodGet, base+"/webhooks", respond(200, `[]`))
	for field, r := range map[string]altpay.ListWebhooksRequest{
		"Limit":  {Limit: -1},
		"Topic":  {Topic: "invoice_paid\n"},
		"After":  {After: " "},
		"Before": {Before: "wh_1\x00"},
	} {
		_, err := c.ListWebhooks(bg, r)
		var fe *altpay.FieldError
		require.ErrorAs(t, err, &fe, field)
		assert.Equal(t, field, fe.Field)
	}
	assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent on bad input")
}
