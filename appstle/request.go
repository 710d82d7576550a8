package appstle

import (
	"errors"
	"log/slog"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// PortalTokenRequest names the customer: exactly one of CustomerID and
// Email.
type PortalTokenRequest struct {
	CustomerID string // "12345" or "gid://shopify/Customer/12345"
	Email      string // a single bare address
}

// PortalToken is a customer-portal token. Token (and ExternalToken) are
// secrets for the customer's browser only: printing a PortalToken shows
// neither.
// One boundary: fmt calls no method of a value it reaches through an
// unexported struct field, so a PortalToken held in one prints in full,
// token included: log the PortalToken itself, not a struct of yours
// around it.
type PortalToken struct {
	CustomerID    int64
	Token         string
	ExpiresAt     time.Time     // the token's exp claim, else its timestamp + 2 h, else receipt + 2 h
	ExternalToken string        // appstleExternalToken, when Appstle sends one
	ExpiresIn     time.Duration // lifetime left when returned
	PortalURL     string        // the customer-portal link (it carries the token); "" without WithShopDomain
}

// String describes the token without its value.
func (t PortalToken) String() string {
	v := "[redacted]"
	if t.Token == "" {
		v = "<empty>"
	}
	return "PortalToken{CustomerID: " + strconv.FormatInt(t.CustomerID, 10) + ", Token: " + v +
		", ExpiresAt: " + t.ExpiresAt.UTC().Format(time.RFC3339) + "}"
}

// GoString implements fmt.GoStringer, redacted.
func (t PortalToken) GoString() string { return "appstle." + t.String() }

// LogValue implements slog.LogValuer, redacted.
func (t PortalToken) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("customer_id", t.CustomerID), slog.Time("expires_at", t.ExpiresAt))
}

const gidPrefix = "gid://shopify/Customer/"

// renamed returns err, a FieldError about a value the caller passed under
// another name, naming field instead (FieldError.Field is the identifier
// the caller wrote: PortalTokenRequest's CustomerID field, where
// ParseCustomerID's errors name its parameter). Other errors pass
// unchanged.
func renamed(err error, field string) error {
	var fe *httpx.FieldError
	if errors.As(err, &fe) {
		return httpx.Invalid(fe.Provider, field, fe.Reason)
	}
	return err
}

// ParseCustomerID accepts a numeric Shopify customer id or its
// gid://shopify/Customer/ form and returns the positive number. A bad one
// is a FieldError naming customerID.
func ParseCustomerID(customerID string) (int64, error) {
	bad := func(reason string) (int64, error) { return 0, httpx.Invalid(name, "customerID", reason) }
	digits := strings.TrimPrefix(customerID, gidPrefix)
	if strings.HasPrefix(digits, "gid://") {
		return bad("must be a Shopify Customer id, not another gid type")
	}
	if digits == "" {
		return bad("must not be empty")
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return bad("must be a positive number or gid://shopify/Customer/<number>")
		}
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	switch {
	case err != nil:
		return bad("out of range")
	case id <= 0:
		return bad("must be positive")
	}
	return id, nil
}

// parseEmail accepts a single bare address ("ada@example.com", not
// "Ada <ada@example.com>" nor a list).
func parseEmail(s string) (string, error) {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", httpx.Invalid(name, "Email", "must be a single bare email address")
	}
	return addr.Address, nil
}

// normalize validates r and returns its cache scope (hashed before use), its
// query and the customer id asked for (0 for an email lookup).
func (r PortalTokenRequest) normalize() (scope string, query url.Values, id int64, err error) {
	switch {
	case r.CustomerID != "" && r.Email != "":
		return "", nil, 0, httpx.Invalid(name, "CustomerID", "set exactly one of CustomerID and Email, not both")
	case r.CustomerID != "":
		if id, err = ParseCustomerID(r.CustomerID); err != nil {
			return "", nil, 0, renamed(err, "CustomerID")
		}
		s := strconv.FormatInt(id, 10)
		return "id:" + s, url.Values{"customerId": {s}}, id, nil
	case r.Email != "":
		email, err := parseEmail(r.Email)
		if err != nil {
			return "", nil, 0, err
		}
		return "email:" + foldASCII(email), url.Values{"email": {email}}, 0, nil
	}
	return "", nil, 0, httpx.Invalid(name, "CustomerID", "set exactly one of CustomerID and Email")
}

// foldASCII lower-cases ASCII letters only. strings.ToLower would fold the
// Kelvin sign (U+212A) to "k" and U+0130 to "i", so that two customers'
// different addresses shared one cached portal token.
func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}
