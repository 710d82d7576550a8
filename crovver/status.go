package crovver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/internal/provider"
)

const (
	statusPath    = "/api/public/subscriptions/status"
	canAccessPath = "/api/public/can-access"
)

// The statuses [SubscriptionStatus] reports.
const (
	StatusActive   = "active"
	StatusTrial    = "trial"
	StatusPastDue  = "past_due"
	StatusCanceled = "canceled"
	StatusExpired  = "expired"
	StatusNone     = "none" // the tenant never subscribed
)

// SubscriptionStatus is a tenant's subscription as Crovver reports it now:
// what a backend checks when the browser returns from checkout (the
// webhook may not have arrived yet).
type SubscriptionStatus struct {
	Active bool   `json:"active"`
	Status string `json:"status"` // one of the Status* constants
	Tenant *struct {
		ID               string `json:"id"`
		ExternalTenantID string `json:"externalTenantId"`
		Name             string `json:"name"`
	} `json:"tenant"`
	Plan *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Slug string `json:"slug"`
	} `json:"plan"`
	// Raw is the whole object as Crovver sent it, for fields not above.
	Raw json.RawMessage `json:"-"`
}

// StatusOption refines [Client.SubscriptionStatus].
type StatusOption func(*url.Values)

// WithProductSlug asks for the tenant's subscription to one product, for
// organisations that sell several. An empty slug asks for none (as
// crovver-react's useSubscription does); one of spaces only or with a
// control character makes SubscriptionStatus fail with a FieldError naming
// WithProductSlug, before any request.
func WithProductSlug(slug string) StatusOption {
	return func(q *url.Values) {
		if slug != "" {
			q.Set("productSlug", slug)
		}
	}
}

// SubscriptionStatus reports tenantID's subscription (GET
// /api/public/subscriptions/status?tenantId=…, the call crovver-react's
// useSubscription makes), with the public key in the x-public-key header,
// never in the URL. A tenant Crovver does not know is an [APIError]
// matching ErrTenantNotFound; one that never subscribed may also come back
// with Status "none". It reads the answer inside Crovver's {success, data}
// envelope, or bare.
func (c *Client) SubscriptionStatus(ctx context.Context, tenantID string, opts ...StatusOption) (*SubscriptionStatus, error) {
	if err := provider.Require(name, "tenantID", tenantID); err != nil {
		return nil, err
	}
	q := url.Values{"tenantId": {tenantID}}
	for _, o := range opts {
		if o != nil {
			o(&q)
		}
	}
	if slug, ok := q["productSlug"]; ok {
		if err := provider.Require(name, "WithProductSlug", slug[0]); err != nil {
			return nil, err
		}
	}
	raw, err := c.c.public(ctx, http.MethodGet, statusPath, q, nil)
	if err != nil {
		return nil, err
	}
	var s SubscriptionStatus
	if err := json.Unmarshal(raw, &s); err != nil || s.Status == "" {
		return nil, c.c.base.HTTP.Unexpected(&httpx.Response{Method: http.MethodGet, Path: statusPath}, "no subscription status")
	}
	s.Raw = raw
	return &s, nil
}

// CanAccessRequest asks whether an entity may use a feature.
type CanAccessRequest struct {
	RequestingEntityID string   // required: the tenant (or user) id
	FeatureKey         string   // optional: the feature to check
	ProductSlug        string   // optional
	Amount             *float64 // optional: for metered features, the amount to use
}

// Access is Crovver's answer to [Client.CanAccess].
type Access struct {
	CanAccess bool   `json:"canAccess"`
	Reason    string `json:"reason"` // when Crovver gives one
	// Raw is the whole object as Crovver sent it, for fields not above.
	Raw json.RawMessage `json:"-"`
}

// CanAccess asks Crovver whether r's entity may use a feature now (POST
// /api/public/can-access, the call crovver-react's useFeatureAccess
// makes), with the public key in the x-public-key header. It reads the
// answer inside Crovver's {success, data} envelope, or bare.
func (c *Client) CanAccess(ctx context.Context, r CanAccessRequest) (*Access, error) {
	if err := provider.Require(name, "RequestingEntityID", r.RequestingEntityID); err != nil {
		return nil, err
	}
	body := map[string]any{"requestingEntityId": r.RequestingEntityID}
	for _, f := range []struct{ field, key, value string }{
		{"FeatureKey", "featureKey", r.FeatureKey},
		{"ProductSlug", "productSlug", r.ProductSlug},
	} {
		if f.value == "" {
			continue
		}
		if err := provider.Require(name, f.field, f.value); err != nil {
			return nil, err
		}
		body[f.key] = f.value
	}
	if r.Amount != nil {
		body["amount"] = *r.Amount
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, httpx.Invalid(name, "Amount", "must be a finite number")
	}
	raw, err := c.c.public(ctx, http.MethodPost, canAccessPath, nil, b)
	if err != nil {
		return nil, err
	}
	var a struct {
		CanAccess *bool  `json:"canAccess"`
		Reason    string `json:"reason"`
	}
	if err := json.Unmarshal(raw, &a); err != nil || a.CanAccess == nil {
		return nil, c.c.base.HTTP.Unexpected(&httpx.Response{Method: http.MethodPost, Path: canAccessPath}, "no canAccess")
	}
	return &Access{CanAccess: *a.CanAccess, Reason: a.Reason, Raw: raw}, nil
}

// public calls one of Crovver's public-key endpoints and returns the
// object it answers: data of a {success, data} envelope, or the body.
func (c *client) public(ctx context.Context, method, path string, q url.Values, body []byte) (json.RawMessage, error) {
	hc := c.base.HTTP
	req := httpx.Request{
		Method: method, Path: path, Query: q, Body: body,
		Header: http.Header{"X-Public-Key": {c.publicKey}},
		Retry:  true, // reads
	}
	if body != nil {
		req.ContentType = "application/json"
	}
	resp, err := hc.Send(ctx, req)
	if err != nil {
		return nil, hc.WrapContextError(err, method, path)
	}
	var env struct {
		Success *bool           `json:"success"`
		Data    json.RawMessage `json:"data"`
		Error   *struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := hc.DecodeJSON(resp, &env); err != nil {
		return nil, err
	}
	switch {
	case env.Success == nil:
		return bytes.Clone(resp.Body), nil
	case !*env.Success:
		status := http.StatusBadRequest
		if env.Error != nil {
			if m, ok := codes[env.Error.Code]; ok {
				status = m.status
			}
		}
		return nil, hc.ErrorFor(resp, status)
	case len(env.Data) == 0 || env.Data[0] != '{':
		return nil, hc.Unexpected(resp, "no data object")
	}
	return env.Data, nil
}
