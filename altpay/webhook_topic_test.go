package altpay_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/checkoutkit/checkoutkit/altpay"
)

// Alternative Payments does not document its webhook body, so a flat
// body's "id" may be the invoice's rather than the event's: an invoice's
// invoice_created and invoice_paid must both reach handle. Dedupe keys on
// the topic and the id: a resent delivery of one event is still handled
// once.
func TestWebhookEventsOfOneInvoiceAreNotDuplicates(t *testing.T) {
	const secret = "whsec-altpay-topic-1234"
	var handled atomic.Int32
	h := altpay.WebhookHandler(secret, func(context.Context, altpay.Event) error {
		handled.Add(1)
		return nil
	})
	post := func(body string) int {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/altpay", bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	created := `{"id":"inv_42","topic":"invoice_created","customer_id":"cus_1","status":"open"}`
	paid := `{"id":"inv_42","topic":"invoice_paid","customer_id":"cus_1","status":"paid"}`
	assert.Equal(t, http.StatusOK, post(created))
	assert.Equal(t, http.StatusOK, post(paid))
	assert.EqualValues(t, 2, handled.Load(), "two events of one invoice")
	assert.Equal(t, http.StatusOK, post(paid))
	assert.EqualValues(t, 2, handled.Load(), "the resent invoice_paid is a duplicate")
}
