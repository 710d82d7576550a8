// Package appstle mints Appstle Subscriptions customer-portal tokens for
// Shopify customers and builds the portal links to send them to, keeping
// the store's API key on the server.
//
// [Client.PortalToken] calls GET /api/external/v2/customer-portal-token
// with the X-API-Key header (the key never goes in a URL) for a customer id
// or an e-mail, and reuses a token per customer while it is fresh (e-mails
// compare ignoring the case of ASCII letters only). Appstle tokens expire
// two hours after they are issued; no expiry is returned, so ExpiresAt is
// read from the token's claims, or is receipt + 2 h for an opaque token
// (see [PortalToken]). [PortalURL] turns a token into the shop's portal
// link, and [Client.PortalRedirectHandler] answers a signed-in customer
// with a 303 to it. [Client.ManageSubscriptionLink] accepts the documented
// answer and the one Appstle's server builds ({manageSubscriptionLink,
// tokenExpirationTime}); [Client.SendPortalMagicLink] accepts the plain-text
// answer Appstle sends.
//
// # Errors
//
// Calls return the error types of the root package
// [github.com/checkoutkit/checkoutkit], aliased here: a *[FieldError] for
// bad input (before any request), an *[APIError] for a non-2xx answer,
// matching [ErrUnauthorized], [ErrRateLimited], [ErrInvalidRequest] or
// [ErrNotFound] with errors.Is, and [ErrUnexpectedResponse] for an answer
// that is not what Appstle sends (a redirect included: it is never
// followed). An e-mail Appstle does not know is its 400 "invalidCustomer"
// answer: an *APIError with status 400 that matches both ErrInvalidRequest
// and ErrNotFound, with Appstle's readable title ("Customer Email does not
// exist") as Message. [Client.PortalToken] can also return
// tokencache.ErrBackoff (the token endpoint failed recently and the key is
// backing off; it wraps that failure, which still matches) and
// tokencache.ErrClosed (its cache was closed: by Close, or by its owner for
// a cache given with WithCache, which Close leaves working). A context that
// ends is wrapped with the call and still matches context.Canceled or
// context.DeadlineExceeded. No error holds the key or a token.
//
// A Client is safe for concurrent use. Test your code against the
// appstletest package, which can also answer as Appstle's server does
// (opaque tokens, the server's manage-link shape).
package appstle
