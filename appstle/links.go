package appstle

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/internal/provider"
)

// ManageLink is a ready link to a customer's subscription management page.
// Link and PortalURL carry a token: printing a ManageLink shows neither.
// One boundary: fmt calls no method of a value it reaches through an
// unexported struct field, so a ManageLink held in one prints in full,
// token included: log the ManageLink itself, not a struct of yours
// around it.
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

// LogValue implements slog.LogValuer: customer id and expiry, never the
// link.
func (l ManageLink) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("customer_id", l.CustomerID), slog.Time("expires_at", l.ExpiresAt))
}

// maxLinkLifetime bounds a manage link's stated expiry: Appstle's server
// makes them live 7 days.
const maxLinkLifetime = 31 * 24 * time.Hour

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
		Header: cc.header(),
		Retry:  true,
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
	if v.PortalURL != "" && httpx.CheckRedirectURL(v.PortalURL) != nil {
		return nil, hc.Unexpected(resp, "portalUrl is not an https URL")
	}
	// Both links carry a token: redact them wherever Appstle echoes them.
	hc.Redactor().Remember(v.Link)
	hc.Redactor().Remember(v.PortalURL)
	l := &ManageLink{CustomerID: id, Link: v.Link, PortalURL: v.PortalURL}
	switch t, ok := parseTime(v.Expiration); {
	case v.ExpiresInM != nil:
		life, err := provider.Lifetime(*v.ExpiresInM*60, maxLinkLifetime)
		if err != nil {
			return nil, hc.Unexpected(resp, "expiresInMinutes: %v", err)
		}
		l.ExpiresAt = now.Add(life)
	case ok:
		if l.ExpiresAt, err = provider.Deadline(t, now, maxLinkLifetime); err != nil {
			return nil, hc.Unexpected(resp, "tokenExpirationTime %v", err)
		}
	default:
		l.ExpiresAt = now.Add(TokenLifetime)
	}
	return l, nil
}

// parseTime reads an ISO-8601 time as Appstle's Java server writes it
// (RFC 3339 with up to nanoseconds, perhaps a "[Zone]" suffix, or no offset
// for UTC) or unix seconds/milliseconds.
func parseTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		if i := strings.IndexByte(x, '['); i > 0 && strings.HasSuffix(x, "]") {
			x = x[:i]
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t, true
			}
		}
		return time.Time{}, false
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
	// Appstle answers 200 with a plain-text body ("Email triggered
	// successfully."), sometimes labelled JSON: any 2xx is success.
	_, err = c.c.base.HTTP.Send(ctx, httpx.Request{
		Method: http.MethodGet, Path: magicPath, Query: url.Values{"email": {addr}},
		Header: c.c.header("Accept", "application/json, text/plain"),
	})
	return err
}
