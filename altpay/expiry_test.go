package altpay_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/altpay"
)

// A checkout token is never kept past the expiry its own JWT states, nor
// past an expires_at given in Unix milliseconds (as a JavaScript backend
// writes Date.now()): read as seconds, that lies tens of millennia ahead,
// and the token was kept for the 24-hour ceiling while the provider refused
// it after 10 minutes, so the browser's refresh callback got the dead token
// back from the cache.
func TestCheckoutTokenNeverOutlivesItsStatedExpiry(t *testing.T) {
	now := newClock().Now()
	in10, in30 := now.Add(10*time.Minute), now.Add(30*time.Minute)
	withExp := func(exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{"customer_id": "cus_1", "invoice_id": "inv_1", "exp": exp.Unix()}
	}
	for name, tc := range map[string]struct {
		claims jwt.MapClaims // nil: an opaque token
		body   string
	}{
		"expires_at in ms, JWT":          {withExp(in10), `{"token": %q, "expires_at": ` + fmt.Sprint(in10.UnixMilli()) + `}`},
		"expires_at in ms as text, JWT":  {withExp(in10), `{"token": %q, "expires_at": "` + fmt.Sprint(in10.UnixMilli()) + `"}`},
		"expires_at in ms, opaque":       {nil, `{"token": %q, "expires_at": ` + fmt.Sprint(in10.UnixMilli()) + `}`},
		"expires_at after the exp claim": {withExp(in10), `{"token": %q, "expires_at": "` + in30.Format(time.RFC3339) + `"}`},
		"expires_in after the exp claim": {withExp(in10), `{"token": %q, "expires_in": 1800}`},
	} {
		t.Run(name, func(t *testing.T) {
			c, mt, clk := mockClient(t)
			mt.RegisterResponder(http.MethodPost, base+"/oauth/token", respond(200, docAccess))
			tok := "opaque-checkout-token-0123456789"
			if tc.claims != nil {
				tok = jwtFor(t, tc.claims)
			}
			mt.RegisterResponder(http.MethodPost, base+"/v1/checkout-auth/init", respond(200, fmt.Sprintf(tc.body, tok)))
			ct, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"})
			require.NoError(t, err)
			assert.WithinDuration(t, clk.Now().Add(10*time.Minute), ct.ExpiresAt, near)
		})
	}
}
