package crovvertest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// newSubscription is tenant's new active subscription to plan.
func (s *Server) newSubscription(tenant, tenantName, plan string) subscription {
	now := s.now().UTC()
	ts := now.Format(time.RFC3339)
	return subscription{
		ID: "sub_" + newUUID()[:8], Status: "active", PlanID: PlanID(plan), BillingMode: "recurring",
		ExternalTenantID: tenant, TenantName: tenantName,
		CurrentPeriodStart: ts, CurrentPeriodEnd: now.AddDate(0, 1, 0).Format(time.RFC3339),
		CapacityUnits: 1, CreatedAt: ts, UpdatedAt: ts,
	}
}

// CancelSubscription cancels tenant's subscription as the billing page's
// Cancel button does, firing subscription.canceled. It reports false if
// the tenant has no active subscription.
func (s *Server) CancelSubscription(tenant string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cancelLocked(tenant)
}

func (s *Server) cancelLocked(tenant string) bool {
	sub, ok := s.subs[tenant]
	if !ok || sub.Status != "active" {
		return false
	}
	sub.Status = "canceled"
	sub.UpdatedAt = s.now().UTC().Format(time.RFC3339)
	s.subs[tenant] = sub
	s.tenants[tenant] = ""
	s.fire(sub, "subscription.canceled")
	return true
}

// cancel is the billing page's Cancel button: it needs the page's portal
// token, cancels, and goes back to the returnUrl.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.claims(r.FormValue("token"), "portal")
	if !ok {
		http.Error(w, "invalid or expired portal token", http.StatusUnauthorized)
		return
	}
	s.CancelSubscription(str(claims["tenantId"]))
	back, err := url.Parse(str(claims["returnUrl"]))
	if err != nil {
		http.Error(w, "bad returnUrl", http.StatusBadRequest)
		return
	}
	q := back.Query()
	q.Set("status", "canceled")
	back.RawQuery = q.Encode()
	http.Redirect(w, r, back.String(), http.StatusSeeOther)
}

// publicKey checks x-public-key as the mint endpoints do; it answers and
// reports false when the key is missing or unknown. s.mu must be held.
func (s *Server) publicKey(w http.ResponseWriter, r *http.Request) bool {
	key := r.Header.Get("x-public-key")
	switch {
	case key == "":
		writeError(w, http.StatusBadRequest, "MISSING_PUBLIC_KEY", "Public key is required")
		return false
	case !s.keys[key]:
		writeError(w, http.StatusUnauthorized, "INVALID_PUBLIC_KEY", "Invalid public key")
		return false
	}
	return true
}

// statusOf is what the status endpoint reports for tenant, consistent with
// the webhooks fired: "none" before a checkout completes, "active" after
// subscription.activated, "canceled" after subscription.canceled.
func (s *Server) statusOf(tenant string) map[string]any {
	sub, ok := s.subs[tenant]
	out := map[string]any{"active": false, "status": "none", "tenant": map[string]any{"externalTenantId": tenant}}
	if ok {
		plan := sub.PlanID[len("plan_"):]
		out["active"] = sub.Status == "active"
		out["status"] = sub.Status
		out["tenant"] = map[string]any{"externalTenantId": tenant, "name": sub.TenantName}
		out["plan"] = map[string]any{"id": sub.PlanID, "name": plan, "slug": plan}
		out["subscription"] = sub
	}
	return out
}

// keyed serves h under s.mu once the request's public key checks out
// (see publicKey). A POST's JSON body is decoded into a new T first,
// outside the lock, so that a client stalling mid-body holds up no one;
// decodeErr is why it did not decode.
func keyed[T any](s *Server, h func(w http.ResponseWriter, r *http.Request, body *T, decodeErr error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body := new(T)
		var decodeErr error
		if r.Method == http.MethodPost {
			decodeErr = json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(body)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.publicKey(w, r) {
			h(w, r, body, decodeErr)
		}
	}
}

// status serves GET /api/public/subscriptions/status?tenantId=.
func (s *Server) status(w http.ResponseWriter, r *http.Request, _ *struct{}, _ error) {
	tenant := r.URL.Query().Get("tenantId")
	if tenant == "" {
		writeError(w, http.StatusBadRequest, "MISSING_REQUIRED_FIELDS", "tenantId is required")
		return
	}
	if _, known := s.tenants[tenant]; !known {
		writeError(w, http.StatusNotFound, "TENANT_NOT_FOUND", "Tenant not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": s.statusOf(tenant)})
}

// canAccessRequest is the body of POST /api/public/can-access.
type canAccessRequest struct {
	RequestingEntityID string `json:"requestingEntityId"`
	FeatureKey         string `json:"featureKey"`
}

// canAccess serves POST /api/public/can-access: an entity with an active
// subscription may use every feature.
func (s *Server) canAccess(w http.ResponseWriter, _ *http.Request, req *canAccessRequest, decodeErr error) {
	if decodeErr != nil || req.RequestingEntityID == "" {
		writeError(w, http.StatusBadRequest, "MISSING_REQUIRED_FIELDS", "requestingEntityId is required")
		return
	}
	sub, ok := s.subs[req.RequestingEntityID]
	data := map[string]any{"canAccess": ok && sub.Status == "active"}
	if !ok || sub.Status != "active" {
		data["reason"] = "no active subscription"
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": data})
}
