package appstle

import (
	"context"
	"net/http"

	"github.com/checkoutkit/checkoutkit/internal/provider"
)

// PortalRedirectHandler sends a signed-in customer to their Appstle
// customer portal: for each GET or POST it asks resolve which customer the
// session belongs to (never trust ids from the request alone), gets a
// portal token ([Client.PortalToken]) and answers 303 See Other to
// [PortalURL](shopDomain, token). shopDomain is checked here: a bad one
// panics at construction, like a nil resolve.
//
// Every answer carries Cache-Control: no-store and Referrer-Policy:
// no-referrer. Failures answer a short plain-text status, never the key, a
// token or Appstle's answer, with the table every checkoutkit handler
// shares: a resolve error is 401 if it matches ErrUnauthorized, 404 if
// ErrNotFound, 400 if ErrInvalidRequest, else 403; an invalid request from
// resolve is 400; a customer Appstle does not know is 404, Appstle rate
// limiting or backing off 503, failing otherwise 502; other methods get
// 405. Each refusal is logged at Warn through [WithLogger] with its reason.
//
// A shop domain is a bare hostname, so the link is https. To reach a local
// fake ([appstletest]), shopDomain may instead be "http://127.0.0.1:PORT"
// (a loopback address only, never plain http for another host). An empty
// shopDomain means the store the client was made with ([WithShopDomain]);
// empty with none configured panics here, saying so.
func (c *Client) PortalRedirectHandler(shopDomain string, resolve func(*http.Request) (PortalTokenRequest, error)) http.Handler {
	if shopDomain == "" {
		if c.c.shop == "" {
			panic("appstle.PortalRedirectHandler: no shopDomain: pass one, or make the client with WithShopDomain")
		}
		shopDomain = c.c.shop
	}
	if _, err := portalLink(shopDomain, DefaultPortalPath, "probe"); err != nil {
		panic("appstle.PortalRedirectHandler: " + err.Error())
	}
	return provider.RedirectHandler(c.c.base, "appstle.PortalRedirectHandler", resolve,
		func(ctx context.Context, r PortalTokenRequest) (string, error) {
			tok, err := c.PortalToken(ctx, r)
			if err != nil {
				return "", err
			}
			return portalLink(shopDomain, DefaultPortalPath, tok.Token)
		})
}
