// Package cartevo mints and caches Cartevo business access tokens and sends
// authenticated calls to the Cartevo API.
//
// Cartevo exchanges a client id and client key for a Bearer access token
// (POST /auth/token, https://docs.cartevo.co). A [Client] keeps that token in
// a tokencache.Cache, refreshes it about five minutes before it expires,
// and when any other endpoint answers 401 (Cartevo no longer accepts the
// token) drops exactly that token, mints a new one and retries the call
// once. After a key rotation the old key cannot mint at all: create the
// client with the new key.
//
// A Client is safe for concurrent use; create one per credential and share
// it. In tests, run your code against the cartevotest package instead of
// declaring interfaces over the Client.
package cartevo
