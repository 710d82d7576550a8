// Package altpay gets Alternative Payments partner-API access tokens (OAuth2
// client credentials) and mints the checkout tokens its browser SDK needs,
// so that the client secret stays on the server.
//
// [Client.AccessToken] posts grant_type=client_credentials to /oauth/token
// with HTTP Basic auth and caches the token; an answer without expires_in
// lives [DefaultAccessTokenLifetime] (3600 s, as the provider's own SDKs
// assume), and a token_type other than Bearer (any case) is refused.
// [Client.HTTPClient] sends it with requests you build yourself (a client
// generated from the OpenAPI spec), to the API host only, and [Client.Do]
// sends one request with it; [Client.OAuth2Transport] is the same guard for
// code that wants a golang.org/x/oauth2 transport, while
// [Client.TokenSource] hands out the token itself and guards nothing
// (oauth2.NewClient would send it to any host).
// [Client.CheckoutToken] calls /v1/checkout-auth/init for one customer and
// invoice with that token (one refresh-and-retry on 401), accepts the
// checkout JWT under "token" or "access_token", and reuses it while it is
// fresh. [Client.RefreshHandler] is the endpoint a page's
// onAccessTokenExpired callback calls for a new one (it does not re-mint a
// token younger than [RefreshMinAge]).
//
// # Errors
//
// Calls return the error types of the root package
// [github.com/checkoutkit/checkoutkit], aliased here: a *[FieldError] for
// bad input (before any request), an *[APIError] for a non-2xx answer,
// matching [ErrUnauthorized] (bad credentials: 403 "Invalid credentials" or
// 401 invalid_client), [ErrRateLimited], [ErrInvalidRequest] or
// [ErrNotFound] with errors.Is, and [ErrUnexpectedResponse] for an answer
// that is not what Alternative Payments sends (a redirect included: it is
// never followed). The OpenAPI error's validation_errors become the
// APIError's Fields. Any call that needs a token can also return
// tokencache.ErrBackoff (the token endpoint failed recently and the key is
// backing off; it wraps that failure, which still matches) and
// tokencache.ErrClosed (its cache was closed: by Close, or by its owner for
// a cache given with WithCache, which Close leaves working). A context that
// ends is wrapped with the call and still matches context.Canceled or
// context.DeadlineExceeded. No error holds a credential or a token.
//
// A Client is safe for concurrent use. Test your code against the
// altpaytest package.
package altpay
