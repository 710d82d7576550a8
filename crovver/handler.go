package crovver

import (
	"context"
	"net/http"

	"github.com/checkoutkit/checkoutkit/internal/provider"
)

// RedirectHandler is the server-side redirectToCheckout(): for each GET or
// POST it asks resolve which checkout the signed-in user may open (decide
// from your session, never from request parameters alone), mints the
// checkout token (or reuses a fresh one) and answers 303 See Other to its
// CheckoutURL, checked once more to be https (http on loopback only).
//
// Every answer carries Cache-Control: no-store and Referrer-Policy:
// no-referrer. Failures answer a short plain-text status, never a key, a
// token or Crovver's answer, with the table every checkoutkit handler
// shares: a resolve error is 401 if it matches ErrUnauthorized, 404 if
// ErrNotFound, 400 if ErrInvalidRequest, else 403; an invalid request from
// resolve is 400; Crovver answering not found (TENANT_NOT_FOUND) is 404,
// rate limited or backing off 503, failing otherwise 502; other methods get
// 405. Each refusal is logged at Warn through [WithLogger] with its reason.
// A nil resolve panics here, not on a request.
func (c *Client) RedirectHandler(resolve func(*http.Request) (CheckoutTokenRequest, error)) http.Handler {
	return provider.RedirectHandler(c.c.base, "crovver.RedirectHandler", resolve,
		func(ctx context.Context, r CheckoutTokenRequest) (string, error) {
			tok, err := c.CheckoutToken(ctx, r)
			if err != nil {
				return "", err
			}
			return tok.CheckoutURL, nil
		})
}

// PortalRedirectHandler is RedirectHandler for the billing portal: resolve
// names the tenant (from your session), and the answer is 303 See Other to
// the PortalURL of [Client.PortalToken]. A tenant that never checked out
// answers 404. The headers, error table and logging are RedirectHandler's.
func (c *Client) PortalRedirectHandler(resolve func(*http.Request) (PortalTokenRequest, error)) http.Handler {
	return provider.RedirectHandler(c.c.base, "crovver.PortalRedirectHandler", resolve,
		func(ctx context.Context, r PortalTokenRequest) (string, error) {
			tok, err := c.PortalToken(ctx, r)
			if err != nil {
				return "", err
			}
			return tok.PortalURL, nil
		})
}
