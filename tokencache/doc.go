// Package tokencache caches short-lived provider tokens in memory, refreshes
// them before they expire and makes sure a provider is called at most once at
// a time per key.
//
// A [Cache] is safe for concurrent use. For each key it keeps one [Token] in
// one of three states, judged by the cache's clock:
//
//   - fresh: more than the early-expiry margin (default 5 minutes; half the
//     lifetime for tokens living less than twice the margin) before
//     ExpiresAt. [Cache.Get] returns it at once, without taking a lock or
//     allocating.
//   - stale: inside the margin but more than a small safety margin before
//     ExpiresAt. Get returns it and starts exactly one background refresh.
//   - expired: within the safety margin of ExpiresAt, or past it. Callers
//     wait for the single in-flight fetch.
//
// Get never returns a token at or past its ExpiresAt. A fetch runs on a
// context detached from the callers' cancellation, with its own timeout, so
// one impatient caller does not fail the others. A failed fetch starts a
// backoff for its key (honouring an error's RetryAfter hint, see
// [RetryHinter]) during which a still-usable token keeps being served and
// callers without one get the last error at once.
//
// For a key that a program asks for on every request (an OAuth access token,
// say), [Cache.Source] returns a handle whose hit path reads no map and no
// wall clock.
//
// After [Cache.Invalidate] drops a token (a 401), the next Get fetches a
// new one; should that fetch fail, the dropped token is served as a last
// resort until it expires, while the key backs off.
//
// A [Store] adds an optional second level shared between processes (see
// packages redisstore and sqlstore), so that a fleet of replicas mints one
// token per refresh between them. Every token, minted or loaded from a
// Store, is refused if it is empty, already expired, larger than
// [MaxTokenSize] or living longer than [MaxLifetime]; a [Fetcher]'s Check
// vets a Store's entries further.
//
// An [Observer] (see package checkoutkitotel) is told of every fetch,
// backoff, eviction, invalidation and Store operation, off the hit path;
// a [Fetcher] names the provider a key belongs to.
package tokencache
