// Package crovver mints Crovver tenant checkout tokens and billing-portal
// tokens server-side, so that the organisation's public key never reaches a
// browser, and redirects users to the checkout Crovver returns.
//
// Both calls (POST /api/public/auth/checkout-token and
// /api/public/auth/portal-token, https://docs.crovver.com) authenticate with
// the x-public-key header and answer a token valid for 10 minutes with the
// URL to send the user to. Identical requests reuse a token while it is
// fresh (see [WithoutReuse]); a token handed out always has at least
// five minutes left, unless Crovver is failing and an older one still works.
// [Client.RedirectHandler] is the server-side redirectToCheckout(), and
// [Client.PortalRedirectHandler] its billing-portal twin. The page URL is read
// from meta (as Crovver documents) or from data (as crovver-react reads it).
//
// # Errors
//
// Calls return the error types of the root package
// [github.com/checkoutkit/checkoutkit], aliased here: a *[FieldError] for
// bad input (before any request), an *[APIError] for a non-2xx answer,
// matching [ErrUnauthorized], [ErrRateLimited], [ErrInvalidRequest] or
// [ErrNotFound] with errors.Is, and [ErrUnexpectedResponse] for an answer
// that is not what Crovver sends. Any call that needs a token can also
// return tokencache.ErrBackoff (the token endpoint failed recently and the
// key is backing off; it wraps that failure, which still matches) and
// tokencache.ErrClosed (its cache was closed: by Close, or by its owner for
// a cache given with WithCache, which Close leaves working). A context that
// ends is wrapped with the call and still matches context.Canceled or
// context.DeadlineExceeded. No error holds a credential or a token.
//
// A Client is safe for concurrent use. Test your code against
// the crovvertest package, which also serves the pricing and billing pages so
// that a whole redirect loop runs locally.
package crovver
