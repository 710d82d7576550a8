// Package httpx is the one HTTP layer under every checkoutkit provider
// client: base URL checks, retries with jittered backoff and a capped
// Retry-After, bounded response bodies, the shared APIError, the 401
// refresh-and-retry-once for Bearer calls, and metadata-only logging.
//
// It knows HTTP and nothing about any provider: a provider supplies a
// decoder for its error bodies and the names of its secrets.
package httpx
