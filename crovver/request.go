package crovver

import (
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// CheckoutTokenRequest describes the checkout to open. ExternalTenantID and
// ReturnURL are required; unset optional fields are not sent.
type CheckoutTokenRequest struct {
	ExternalTenantID   string         // required: your id for the tenant
	ReturnURL          string         // required, absolute http(s) URL
	ExternalUserID     string         // the user starting the checkout
	ExternalTenantName string         // shown on the checkout
	RequiredFeature    string         // preselect plans with this feature
	RequiredPlan       string         // preselect this plan
	Metadata           map[string]any // embedded in the token: userEmail, userName, custom fields
}

// PortalTokenRequest describes the billing portal to open for a tenant that
// has checked out before.
type PortalTokenRequest struct {
	ExternalTenantID string // required
	ReturnURL        string // required, absolute http(s) URL
	Metadata         map[string]any
}

// CheckoutToken is a minted checkout token and the URL to send the user to.
// Token and CheckoutURL (which carries the token) are secrets for the user's
// browser only: printing a CheckoutToken shows neither.
// One boundary: fmt calls no method of a value it reaches through an
// unexported struct field, so a CheckoutToken held in one prints in full,
// token included: log the CheckoutToken itself, not a struct of yours
// around it.
type CheckoutToken struct {
	Token       string
	ExpiresAt   time.Time     // receipt time + the lifetime Crovver stated
	CheckoutURL string        // as Crovver returned it
	ExpiresIn   time.Duration // lifetime left when returned
}

// PortalToken is a minted billing-portal token and the URL to send the user
// to. Printing it shows neither.
// One boundary: fmt calls no method of a value it reaches through an
// unexported struct field, so a PortalToken held in one prints in full,
// token included: log the PortalToken itself, not a struct of yours
// around it.
type PortalToken struct {
	Token     string
	ExpiresAt time.Time
	PortalURL string
	ExpiresIn time.Duration
}

// String describes the token without its value or URL.
func (t CheckoutToken) String() string { return describe("CheckoutToken", t.Token, t.ExpiresAt) }

// GoString implements fmt.GoStringer, redacted.
func (t CheckoutToken) GoString() string { return "crovver." + t.String() }

// LogValue implements slog.LogValuer, redacted.
func (t CheckoutToken) LogValue() slog.Value { return slog.TimeValue(t.ExpiresAt) }

// String describes the token without its value or URL.
func (t PortalToken) String() string { return describe("PortalToken", t.Token, t.ExpiresAt) }

// GoString implements fmt.GoStringer, redacted.
func (t PortalToken) GoString() string { return "crovver." + t.String() }

// LogValue implements slog.LogValuer, redacted.
func (t PortalToken) LogValue() slog.Value { return slog.TimeValue(t.ExpiresAt) }

func describe(kind, token string, exp time.Time) string {
	v := "[redacted]"
	if token == "" {
		v = "<empty>"
	}
	return kind + "{Token: " + v + ", ExpiresAt: " + exp.UTC().Format(time.RFC3339) + "}"
}

type wireRequest struct {
	ExternalTenantID   string         `json:"externalTenantId"`
	ReturnURL          string         `json:"returnUrl"`
	ExternalUserID     string         `json:"externalUserId,omitempty"`
	ExternalTenantName string         `json:"externalTenantName,omitempty"`
	RequiredFeature    string         `json:"requiredFeature,omitempty"`
	RequiredPlan       string         `json:"requiredPlan,omitempty"`
	Metadata           map[string]any `json:"metadata,omitempty"`
}

func (r CheckoutTokenRequest) encode() ([]byte, error) { return wireRequest(r).encode() }

func (r PortalTokenRequest) encode() ([]byte, error) {
	return wireRequest{ExternalTenantID: r.ExternalTenantID, ReturnURL: r.ReturnURL, Metadata: r.Metadata}.encode()
}

// encode validates the request and returns its JSON body.
func (w wireRequest) encode() ([]byte, error) {
	if strings.TrimSpace(w.ExternalTenantID) == "" {
		return nil, httpx.Invalid(name, "ExternalTenantID", "must not be empty")
	}
	if err := checkReturnURL(w.ReturnURL); err != nil {
		return nil, err
	}
	body, err := json.Marshal(w)
	if err != nil {
		return nil, httpx.Invalid(name, "Metadata", "does not encode as JSON")
	}
	return body, nil
}

// checkReturnURL accepts an absolute http or https URL with a host; never a
// relative, javascript:, data: or other URL.
func checkReturnURL(raw string) error {
	bad := func(reason string) error { return httpx.Invalid(name, "ReturnURL", reason) }
	if strings.TrimSpace(raw) == "" {
		return bad("must not be empty")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return bad("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("must be an absolute http or https URL")
	case u.Host == "" || u.Hostname() == "":
		return bad("must have a host")
	}
	return nil
}
