package crovver

import (
	"net/http"

	"github.com/checkoutkit/checkoutkit/internal/provider"
)

// RedirectHandler is the server-side redirectToCheckout(): for each GET or
// POST it asks resolve which checkout the signed-in user may open (decide
// from your session, never from request parameters alone), mints the
// checkout token and answers 303 See Other to its CheckoutURL, with
// Cache-Control: no-store.
//
// Failures answer a short plain-text status and never a key, a token or
// Crovver's answer: a resolve error is 401 if it matches ErrUnauthorized,
// 404 if ErrNotFound, else 400; an invalid request from resolve is 400;
// Crovver failing is 502. Other methods get 405.
func (c *Client) RedirectHandler(resolve func(*http.Request) (CheckoutTokenRequest, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, POST")
			provider.WriteFailure(w, http.StatusMethodNotAllowed)
			return
		}
		req, err := resolve(r)
		if err != nil {
			provider.WriteFailure(w, provider.FailureStatus(err, true))
			return
		}
		tok, err := c.CheckoutToken(r.Context(), req)
		if err != nil {
			provider.WriteFailure(w, provider.FailureStatus(err, false))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, tok.CheckoutURL, http.StatusSeeOther)
	})
}
