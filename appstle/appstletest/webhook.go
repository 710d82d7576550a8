package appstletest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/fakesrv"
)

// WebhookSecret is the Svix endpoint secret the server signs with when
// [WithWebhook] is given an empty one.
const WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// WithContract starts the server with an active subscription contract of a
// customer (no webhook is fired for it).
func WithContract(customerID, contractID int64) Option {
	return func(s *Server) { s.contracts[contractID] = contract{customerID: customerID, status: "ACTIVE"} }
}

// SignWebhook builds one delivery as Appstle sends it through Svix: the
// envelope {type, data} and the headers svix-id (a fresh "msg_…"),
// svix-timestamp (now, Unix seconds), svix-signature ("v1," + base64
// HMAC-SHA256 of id.timestamp.body keyed by the base64-decoded secret
// after "whsec_") and Content-Type application/json. data is marshalled
// as JSON.
func SignWebhook(secret, eventType string, data any, now time.Time) (http.Header, []byte, error) {
	body, err := fakesrv.Envelope("appstletest", map[string]any{"type": eventType}, data)
	if err != nil {
		return nil, nil, err
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	h, err := SignBody(secret, "msg_"+hex.EncodeToString(b), now, body)
	return h, body, err
}

// checkWebhookSecret refuses, for SetWebhook, a secret SignBody cannot
// sign with (not "whsec_" and base64); an empty one means WebhookSecret.
func checkWebhookSecret(url, secret string) error {
	if url == "" {
		return nil
	}
	if secret == "" {
		secret = WebhookSecret
	}
	_, err := SignBody(secret, "msg_check", time.Now(), nil)
	return err
}

// SignBody returns the headers Svix sends with body for message id at
// now. It fails if secret is not "whsec_" and base64.
func SignBody(secret, id string, now time.Time, body []byte) (http.Header, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("appstletest: the webhook secret is not whsec_ and base64")
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return http.Header{
		"Svix-Id":        {id},
		"Svix-Timestamp": {ts},
		"Svix-Signature": {"v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))},
		"Content-Type":   {"application/json"},
	}, nil
}

type contract struct {
	customerID int64
	status     string // "ACTIVE" or "CANCELLED"
}

// contractData is the data of the subscription.* events the server fires.
func contractData(id int64, c contract) map[string]any {
	return map[string]any{
		"id":         "gid://shopify/SubscriptionContract/" + strconv.FormatInt(id, 10),
		"status":     c.status,
		"customerId": c.customerID,
	}
}

// CreateContract gives a customer a new active subscription contract and
// returns its id, firing subscription.created then subscription.activated.
func (s *Server) CreateContract(customerID int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextContract++
	id := s.nextContract
	c := contract{customerID: customerID, status: "ACTIVE"}
	s.contracts[id] = c
	s.fire(contractData(id, c), "subscription.created", "subscription.activated")
	return id
}

// CancelContract cancels a contract, firing subscription.cancelled. It
// reports false for an unknown or already cancelled contract.
func (s *Server) CancelContract(contractID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.contracts[contractID]
	if !ok || c.status != "ACTIVE" {
		return false
	}
	c.status = "CANCELLED"
	s.contracts[contractID] = c
	s.fire(contractData(contractID, c), "subscription.cancelled")
	return true
}

// validContracts serves GET
// /api/external/v2/subscription-customers/valid/{id}: the ids of the
// customer's active contracts, consistent with the webhooks fired.
func (s *Server) validContracts(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		problem(w, http.StatusBadRequest, "Bad Request", "customerId must be numeric")
		return
	}
	ids := []int64{}
	for cid, c := range s.contracts {
		if c.customerID == id && c.status == "ACTIVE" {
			ids = append(ids, cid)
		}
	}
	slices.Sort(ids)
	s.appKeys = append(s.appKeys, r.Header.Get("X-App-Key"))
	writeJSON(w, http.StatusOK, ids)
}

// AppKeys lists the X-App-Key header of each valid-contracts request ("" when
// absent), oldest first.
func (s *Server) AppKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.appKeys...)
}
