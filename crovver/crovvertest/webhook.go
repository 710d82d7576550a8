package crovvertest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/fakesrv"
)

// WebhookSecret is the webhook secret the server signs with when
// [WithWebhook] is given an empty one.
const WebhookSecret = "crovver_whsec_test_5b1e9d7c3a"

// OrgID is the org_id of the server's webhook envelopes.
const OrgID = "org_fake_crovvertest"

// SignWebhook builds one delivery as Crovver sends it: the envelope {id,
// type, created_at, org_id, data} with a fresh id, and the headers
// X-Crovver-Signature ("sha256=" + hex HMAC-SHA256 of the body, keyed by
// secret's bytes), X-Crovver-Event, User-Agent Crovver-Webhook/1.0 and
// Content-Type application/json. data is marshalled as JSON.
func SignWebhook(secret, eventType string, data any, now time.Time) (http.Header, []byte, error) {
	body, err := fakesrv.Envelope("crovvertest", map[string]any{
		"id": newUUID(), "type": eventType, "created_at": now.UTC().Format("2006-01-02T15:04:05.000Z07:00"), "org_id": OrgID,
	}, data)
	if err != nil {
		return nil, nil, err
	}
	return SignBody(secret, eventType, body), body, nil
}

// SignBody returns the headers Crovver sends with body.
func SignBody(secret, eventType string, body []byte) http.Header {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return http.Header{
		"X-Crovver-Signature": {"sha256=" + hex.EncodeToString(m.Sum(nil))},
		"X-Crovver-Event":     {eventType},
		"User-Agent":          {"Crovver-Webhook/1.0"},
		"Content-Type":        {"application/json"},
	}
}

// subscription is the data of subscription.* events, and what the status
// endpoint reports.
type subscription struct {
	ID                 string `json:"id"`
	Status             string `json:"status"`
	PlanID             string `json:"plan_id"`
	BillingMode        string `json:"billing_mode"`
	ExternalTenantID   string `json:"external_tenant_id"`
	TenantName         string `json:"tenant_name"`
	CurrentPeriodStart string `json:"current_period_start"`
	CurrentPeriodEnd   string `json:"current_period_end"`
	CapacityUnits      int    `json:"capacity_units"`
	CreatedAt          string `json:"created_at"`
	UpdatedAt          string `json:"updated_at"`
}

// PlanID is the plan_id of a plan named name ("pro": "plan_pro").
func PlanID(name string) string { return "plan_" + name }

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
