package altpay

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/provider"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// RefreshMinAge is how old a checkout token must be before
// [Client.RefreshHandler] mints a new one because a browser reports it
// expired: a younger one is answered again instead.
const RefreshMinAge = 10 * time.Second

// mintedWithin reports whether tok was minted less than d ago by the
// cache's clock (a token with no readable mint time, or one dated in the
// future, is not).
func (c *client) mintedWithin(tok tokencache.Token, d time.Duration) bool {
	at, err := time.Parse(time.RFC3339Nano, tok.Extra[extraMintedAt])
	if err != nil {
		return false
	}
	age := c.base.Cache.Now().Sub(at)
	return age >= 0 && age < d
}

// RefreshHandler is the endpoint a checkout page's onAccessTokenExpired
// callback calls for a new checkout token. It accepts POST only. resolve
// decides from the signed-in session which customer and invoice the caller
// may pay (never trust ids from the request alone). Success is
// {"token": "…", "expiresAt": "RFC 3339"}.
//
// The request body may be JSON {"expiredToken": "…"}: the token the
// provider just refused. If it is still the one cached for that customer
// and invoice, and was minted more than [RefreshMinAge] ago, it is dropped
// and the answer is a new token rather than the one that failed. A token
// minted within RefreshMinAge is not re-minted because a browser says it
// expired: the answer is the current token, so that POSTing one's own
// fresh token again and again costs the provider nothing. Any other body
// is ignored.
//
// Every answer carries Cache-Control: no-store and Referrer-Policy:
// no-referrer. Failures answer a short plain-text status, never a
// credential, a token or the provider's answer, with the table every
// checkoutkit handler shares: a resolve error is 401 if it matches
// ErrUnauthorized, 404 if ErrNotFound, 400 if ErrInvalidRequest, else 403;
// an invalid request from resolve is 400; the provider answering not
// found is 404, rate limited or backing off 503, failing otherwise 502;
// other methods get 405. Each refusal is logged at Warn through
// [WithLogger] with its reason. A nil resolve panics here, not on a
// request.
func (c *Client) RefreshHandler(resolve func(*http.Request) (CheckoutTokenRequest, error)) http.Handler {
	provider.MustCallback("altpay.RefreshHandler", resolve == nil)
	h := &provider.Handler{Base: c.c.base, Name: "altpay.RefreshHandler", Methods: []string{http.MethodPost}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.Start(w, r) {
			return
		}
		req, err := resolve(r)
		if err != nil {
			h.RefuseCallback(w, r, err)
			return
		}
		var body struct {
			ExpiredToken string `json:"expiredToken"`
		}
		if json.NewDecoder(io.LimitReader(r.Body, 8<<10)).Decode(&body) != nil {
			body.ExpiredToken = ""
		}
		if err := req.validate(); err != nil {
			h.RefuseToken(w, r, err)
			return
		}
		cur, err := c.c.checkoutToken(r.Context(), req)
		if err == nil && body.ExpiredToken != "" && body.ExpiredToken == cur.Value && !c.c.mintedWithin(cur, RefreshMinAge) {
			c.c.invalidateCheckout(req, cur.Value)
			cur, err = c.c.checkoutToken(r.Context(), req)
		}
		if err != nil {
			h.RefuseToken(w, r, err)
			return
		}
		tok := c.c.public(cur, req)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(struct {
			Token     string `json:"token"`
			ExpiresAt string `json:"expiresAt"`
		}{tok.Token, tok.ExpiresAt.UTC().Format(time.RFC3339)})
	})
}
