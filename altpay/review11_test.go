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
