// Package cartevo mints and caches Cartevo business access tokens and sends
// authenticated calls to the Cartevo API.
//
// Cartevo exchanges a client id and client key for a Bearer access token
// (POST /auth/token, https://docs.cartevo.co). A [Client] keeps that token in
// a tokencache.Cache, refreshes it about five minutes before it expires,
// and when any other endpoint answers 401 (Cartevo no longer accepts the
// token) drops exactly that token, mints a new one and retries the call
// once; at most once per 10 s, so that an endpoint refusing every token
// gets its 401 back rather than a mint storm. After a key rotation the old
// key cannot mint at all: create the client with the new key. Cartevo's
// 403 "this action is not allowed in preproduction mode" is about the
// token's mode, not the token: it matches [ErrEnvironment] and drops
// nothing.
//
// For requests you build yourself (a client generated from Cartevo's
// OpenAPI spec), use [Client.HTTPClient]: it sends the token to Cartevo's
// host only. [Client.OAuth2Transport] is the same guard for code that wants
// a golang.org/x/oauth2 transport; [Client.TokenSource] hands out the token
// itself and guards nothing (oauth2.NewClient would send it to any host).
// [Client.Call] accepts a
// query string in its path and both of Cartevo's answer shapes: the
// {"success", "statusCode", "message", "data"} envelope and a bare
// {"data": …}.
//
// # Errors
//
// Calls return the error types of the root package
// [github.com/checkoutkit/checkoutkit], aliased here: a *[FieldError] for
// bad input (before any request), an *[APIError] for a non-2xx answer,
// matching [ErrUnauthorized], [ErrRateLimited], [ErrInvalidRequest],
// [ErrNotFound] or [ErrEnvironment] with errors.Is, and
// [ErrUnexpectedResponse] for an answer that is not what Cartevo sends. Any
// call that needs a token can also return tokencache.ErrBackoff (the token
// endpoint failed recently and the key is backing off; it wraps that
// failure, which still matches) and tokencache.ErrClosed (its cache was
// closed: by Close, or by its owner for a cache given with WithCache, which
// Close leaves working). A context that ends is wrapped with the call and
// still matches context.Canceled or context.DeadlineExceeded. No error holds
// a credential or a token.
//
// A Client is safe for concurrent use; create one per credential and share
// it. In tests, run your code against the cartevotest package instead of
// declaring interfaces over the Client.
package cartevo
