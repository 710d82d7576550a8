package provider

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The receiver's log lines: a refusal names its status and no event type;
// a failed handle names the event type, and its error text is scrubbed of
// the secret and of every signature header value (parts of 8 bytes or
// more), while an empty signature header leaves the text readable.
func TestWebhookLogLines(t *testing.T) {
	const secret = "whsec_topsecret123"
	var logs bytes.Buffer
	wh := Webhook[string]{
		Provider: "crovver", Name: "crovver.WebhookHandler", Secret: secret,
		Verify: func(h http.Header, body []byte, now time.Time) (string, string, error) {
			if h.Get("X-Sig") == "bad" {
				return "", "", errors.New("signature mismatch")
			}
			return "subscription.activated", "evt_1", nil
		},
		Handle: func(context.Context, string) error {
			return errors.New("db down; secret " + secret + "; sig sha256=abcdef0123456789; part abcd1234; short abc")
		},
		Type:          func(e string) string { return e },
		SecretHeaders: []string{"X-Sig", "X-Empty", "X-Sig2"},
	}
	h := WebhookHandler(wh, WebhookSettings{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: time.Now})
	send := func(sig string) int {
		req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(`{}`))
		req.Header.Set("X-Sig", sig)
		req.Header.Set("X-Empty", "")
		req.Header.Set("X-Sig2", "v1,abcd1234") // a part of exactly 8 bytes
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}

	assert.Equal(t, http.StatusBadRequest, send("bad"))
	refusal := logs.String()
	assert.Contains(t, refusal, "status=400")
	assert.NotContains(t, refusal, "event_type=")
	logs.Reset()

	assert.GreaterOrEqual(t, send("sha256=abcdef0123456789"), 500)
	failed := logs.String()
	assert.Contains(t, failed, "event_type=subscription.activated")
	assert.Contains(t, failed, "db down", "the error text stays readable")
	assert.Contains(t, failed, "short abc", "parts under 8 bytes are not scrubbed")
	assert.NotContains(t, failed, secret)
	assert.NotContains(t, failed, "abcdef0123456789")
	assert.NotContains(t, failed, "abcd1234", "a part of 8 bytes is scrubbed")
	assert.NotContains(t, failed, "[redacted]d[redacted]", "an empty header value scrubs nothing")
}
