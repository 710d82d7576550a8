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

// A body that carries both an "id" (which may be the invoice's) and an
// "event_id" names its event by event_id: two events of one invoice and
// topic with different event_ids are two events. ID was read from "id"
// first, so the second was answered 200 as a duplicate and never handled.
func TestWebhookEventIDWinsOverID(t *testing.T) {
	const secret = "whsec-altpay-topic-1234"
	var ids []string
	h := altpay.WebhookHandler(secret, func(_ context.Context, e altpay.Event) error {
		ids = append(ids, e.ID)
		return nil
	})
	for _, body := range []string{
		`{"id":"inv_43","event_id":"evt_1","topic":"invoice_updated","status":"open"}`,
		`{"id":"inv_43","event_id":"evt_2","topic":"invoice_updated","status":"void"}`,
		`{"id":"inv_43","event_id":"evt_2","topic":"invoice_updated","status":"void"}`, // resent
	} {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/altpay", bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusOK, rec.Code)
	}
	assert.Equal(t, []string{"evt_1", "evt_2"}, ids)
}
