package altpay

import (
	"strconv"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/provider"
)

// CheckoutClaims are the checkout token's claims, read without verifying
// its signature (only Alternative Payments holds the key).
type CheckoutClaims struct {
	PartnerID  string
	ClientID   string
	CustomerID string
	InvoiceID  string
	ExpiresAt  time.Time // exp; zero if absent
}

// readClaims reads a checkout JWT's claims without verifying it; ok is
// false for a token that is not a JWT.
func readClaims(token string) (CheckoutClaims, bool) {
	m, ok := provider.Claims(token)
	if !ok {
		return CheckoutClaims{}, false
	}
	c := CheckoutClaims{
		PartnerID: claimString(m["partner_id"]), ClientID: claimString(m["client_id"]),
		CustomerID: claimString(m["customer_id"]), InvoiceID: claimString(m["invoice_id"]),
	}
	if exp, err := m.GetExpirationTime(); err == nil && exp != nil {
		c.ExpiresAt = exp.Time
	}
	return c, true
}

func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}
