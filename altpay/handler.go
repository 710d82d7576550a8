package altpay

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/provider"
)

// RefreshHandler is the endpoint a checkout page's onAccessTokenExpired
// callback calls for a new checkout token. It accepts POST only. authorize
// decides from the signed-in session which customer and invoice the caller
// may pay (never trust ids from the request alone). Success is
// {"token": "…", "expiresAt": "RFC 3339"}.
//
// The request body may be JSON {"expiredToken": "…"}: the token the
// provider just refused. It is dropped from the cache first (only if it is
// still the one cached for that customer and invoice), so the answer is a
// new token rather than the one that failed. Any other body is ignored.
//
// Every answer carries Cache-Control: no-store and Referrer-Policy:
// no-referrer. Failures answer a short plain-text status, never a
// credential, a token or the provider's answer, with the table every
// checkoutkit handler shares: an authorize error is 401 if it matches
// ErrUnauthorized, 404 if ErrNotFound, 400 if ErrInvalidRequest, else 403;
// an invalid request from authorize is 400; the provider answering not
// found is 404, rate limited or backing off 503, failing otherwise 502;
// other methods get 405. Each refusal is logged at Warn through
// [WithLogger] with its reason. A nil authorize panics here, not on a
// request.
func (c *Client) RefreshHandler(authorize func(*http.Request) (CheckoutTokenRequest, error)) http.Handler {
	provider.MustCallback("altpay.RefreshHandler", authorize == nil)
	h := &provider.Handler{Base: c.c.base, Name: "altpay.RefreshHandler", Methods: []string{http.MethodPost}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.Start(w, r) {
			return
		}
		req, err := authorize(r)
		if err != nil {
			h.RefuseCallback(w, r, err)
			return
		}
		var body struct {
			ExpiredToken string `json:"expiredToken"`
		}
		if json.NewDecoder(io.LimitReader(r.Body, 8<<10)).Decode(&body) == nil && body.ExpiredToken != "" {
			c.InvalidateCheckoutToken(req, body.ExpiredToken)
		}
		tok, err := c.CheckoutToken(r.Context(), req)
		if err != nil {
			h.RefuseToken(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(struct {
			Token     string `json:"token"`
			ExpiresAt string `json:"expiresAt"`
		}{tok.Token, tok.ExpiresAt.UTC().Format(time.RFC3339)})
	})
}
