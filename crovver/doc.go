// Package crovver mints Crovver tenant checkout tokens and billing-portal
// tokens server-side, so that the organisation's public key never reaches a
// browser, and redirects users to the checkout Crovver returns.
//
// Both calls (POST /api/public/auth/checkout-token and
// /api/public/auth/portal-token, https://docs.crovver.com) authenticate with
// the x-public-key header and answer a token valid for 10 minutes with the
// URL to send the user to. Identical requests reuse a token while it is
// fresh (see [WithoutReuse]); a token handed out always has at least
// five minutes left, unless Crovver is failing and an older one still works. [Client.RedirectHandler] is the server-side
// redirectToCheckout().
//
// A Client is safe for concurrent use. Test your code against
// the crovvertest package, which also serves the pricing and billing pages so
// that a whole redirect loop runs locally.
package crovver
