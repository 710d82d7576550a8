package tokencache

import (
	"errors"
	"time"
)

var (
	// ErrClosed is returned by Get after [Cache.Close].
	ErrClosed = errors.New("tokencache: cache closed")

	// ErrInvalidToken wraps the reason a fetched token was refused: an empty
	// Value, an ExpiresAt that is not after the cache's now or beyond
	// [MaxLifetime], or a Value, Type and Extra larger than [MaxTokenSize].
	// Such a token is never cached and counts as a failed fetch.
	ErrInvalidToken = errors.New("tokencache: invalid token")

	// ErrBackoff is returned, wrapped together with the last fetch error, when
	// a key's previous fetch failed, its backoff has not ended and the cache
	// has no usable token for it. errors.Is and errors.As see both errors.
	ErrBackoff = errors.New("tokencache: backing off after a failed fetch")
)

// RetryHinter is implemented by errors that know how long the provider asked
// callers to wait (an HTTP 429 with Retry-After, for example). When a fetch
// fails with such an error anywhere in its chain, the key's backoff lasts at
// least RetryAfterHint, up to [MaxRetryAfterHint]. The provider packages'
// APIError implements it.
type RetryHinter interface {
	RetryAfterHint() time.Duration
}

// MaxRetryAfterHint caps how long a [RetryHinter] can hold a key's backoff,
// so that a provider sending an absurd Retry-After cannot disable a key for
// good.
const MaxRetryAfterHint = 15 * time.Minute

// BackoffSkipper is implemented by errors that say whether a failed fetch
// should start its key's backoff. A fetch failing with an error whose
// SkipBackoff reports true (anywhere in its chain) is returned to its
// waiters but leaves the key free to fetch again at once: the provider
// answered, and answered about this request (a 404 for a tenant that has
// not checked out yet, say), so the next request may well succeed. A
// background refresh backs off whatever its error: nobody waits on it, and
// the stale token keeps being served meanwhile. The provider packages'
// APIError skips backoff for 400, 404, 409 and 422.
type BackoffSkipper interface {
	SkipBackoff() bool
}
