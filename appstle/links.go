package appstle

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// ManageLink is a ready link to a customer's subscription management page.
// Link and PortalURL carry a token: printing a ManageLink shows neither.
type ManageLink struct {
	CustomerID int64
	Link       string    // manageSubscriptionLink
	PortalURL  string    // portalUrl
	ExpiresAt  time.Time // receipt + expiresInMinutes, else tokenExpirationTime
}

// String describes the link without its token.
func (l ManageLink) String() string {
	return "ManageLink{CustomerID: " + strconv.FormatInt(l.CustomerID, 10) + ", Link: [redacted], ExpiresAt: " +
		l.ExpiresAt.UTC().Format(time.RFC3339) + "}"
}

// GoString implements fmt.GoStringer, redacted.
func (l ManageLink) GoString() string { return "appstle." + l.String() }

// ManageSubscriptionLink asks Appstle for a customer's subscription
// management link (GET /api/external/v2/manage-subscription-link/{id}). The
// id may be numeric or a gid://shopify/Customer/ id; it is sent numeric.
// Links are not cached: each call asks Appstle.
func (c *Client) ManageSubscriptionLink(ctx context.Context, customerID string) (*ManageLink, error) {
	id, err := ParseCustomerID(customerID)
	if err != nil {
		return nil, err
	}
	cc := c.c
	hc := cc.base.HTTP
	resp, err := hc.Send(ctx, httpx.Request{
		Method: http.MethodGet, Path: managePath + strconv.FormatInt(id, 10),
		Header: http.Header{"X-Api-Key": {cc.apiKey}},
	})
	if err != nil {
		return nil, err
	}
	now := cc.base.Cache.Now()
	var v struct {
		Link       string   `json:"manageSubscriptionLink"`
		Expiration any      `json:"tokenExpirationTime"`
		ExpiresInM *float64 `json:"expiresInMinutes"`
		CustomerID int64    `json:"customerId"`
		PortalURL  string   `json:"portalUrl"`
	}
	if err := hc.DecodeJSON(resp, &v); err != nil {
		return nil, err
	}
	if err := httpx.CheckRedirectURL(v.Link); err != nil {
		return nil, hc.Unexpected(resp, "manageSubscriptionLink: %v", err)
	}
	if v.CustomerID != 0 && v.CustomerID != id {
		return nil, hc.Unexpected(resp, "link is for another customer")
	}
	l := &ManageLink{CustomerID: id, Link: v.Link, PortalURL: v.PortalURL}
	switch {
	case v.ExpiresInM != nil && *v.ExpiresInM > 0:
		l.ExpiresAt = now.Add(time.Duration(*v.ExpiresInM * float64(time.Minute)))
	default:
		t, ok := parseTime(v.Expiration)
		if !ok {
			t = now.Add(TokenLifetime)
		}
		l.ExpiresAt = t.In(now.Location())
	}
	return l, nil
}

// parseTime reads an RFC 3339 string or unix seconds/milliseconds.
func parseTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		t, err := time.Parse(time.RFC3339, x)
		return t, err == nil
	case float64:
		if x > 1e12 {
			return time.UnixMilli(int64(x)), true
		}
		if x > 0 {
			return time.Unix(int64(x), 0), true
		}
	}
	return time.Time{}, false
}

// SendPortalMagicLink asks Appstle to email the customer a link to their
// portal, valid for 2 hours (GET
// /api/external/v2/subscription-contracts-email-magic-link). The address is
// validated first and never logged.
func (c *Client) SendPortalMagicLink(ctx context.Context, email string) error {
	addr, err := parseEmail(email)
	if err != nil {
		return err
	}
	_, err = c.c.base.HTTP.Send(ctx, httpx.Request{
		Method: http.MethodGet, Path: magicPath, Query: url.Values{"email": {addr}},
		Header: http.Header{"X-Api-Key": {c.c.apiKey}},
	})
	return err
}
