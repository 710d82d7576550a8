package altpay

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/provider"
)

// RefreshHandler is the endpoint a checkout page's onAccessTokenExpired
// callback calls for a new checkout token. It accepts POST only. authorize
// decides from the signed-in session which customer and invoice the caller
// may pay (never trust ids from the request alone); its error answers 401
// if it matches ErrUnauthorized and 403 otherwise, never a token. Success is
// {"token": "…", "expiresAt": "RFC 3339"} with Cache-Control: no-store; a
// provider failure is a 502 with a short message and no upstream detail.
func (c *Client) RefreshHandler(authorize func(*http.Request) (CheckoutTokenRequest, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			provider.WriteFailure(w, http.StatusMethodNotAllowed)
			return
		}
		req, err := authorize(r)
		if err != nil {
			status := http.StatusForbidden
			if errors.Is(err, ErrUnauthorized) {
				status = http.StatusUnauthorized
			}
			provider.WriteFailure(w, status)
			return
		}
		tok, err := c.CheckoutToken(r.Context(), req)
		if err != nil {
			provider.WriteFailure(w, provider.FailureStatus(err, false))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(struct {
			Token     string `json:"token"`
			ExpiresAt string `json:"expiresAt"`
		}{tok.Token, tok.ExpiresAt.UTC().Format(time.RFC3339)})
	})
}
