package tokencache

import (
	"log/slog"
	"math/rand/v2"
	"time"
)

// Defaults used by [New] when no option says otherwise.
const (
	DefaultEarlyExpiry  = 5 * time.Minute
	DefaultFetchTimeout = 30 * time.Second
	DefaultMinBackoff   = time.Second
	DefaultMaxBackoff   = 30 * time.Second
	DefaultMaxEntries   = 10_000
	DefaultLockWait     = 5 * time.Second

	// DefaultRefreshJitter is the refresh jitter (see [WithRefreshJitter]).
	DefaultRefreshJitter = 0.1

	// MaxLifetime is the longest a cached token may live: a token, minted
	// or loaded from a Store, whose ExpiresAt is further ahead is refused.
	MaxLifetime = 366 * 24 * time.Hour

	// MaxTokenSize bounds a token's Value, Type and Extra together, in
	// bytes: a larger one, minted or loaded from a Store, is refused.
	MaxTokenSize = 64 << 10

	// safetyMargin is how long before ExpiresAt a token stops being served
	// (at most; a short-lived token uses less), so that a token handed out
	// has time to reach the provider before it expires.
	safetyMargin = 10 * time.Second
)

// Option configures a [Cache]. Options never fail: a value out of range is
// clamped or ignored as each option's documentation says. Provider
// packages refuse those values in their own New instead.
type Option func(*config)

type config struct {
	early        time.Duration
	clock        clock
	store        Store
	fetchTimeout time.Duration
	minBackoff   time.Duration
	maxBackoff   time.Duration
	maxEntries   int
	lockWait     time.Duration
	logger       *slog.Logger
	observers    []Observer
	jitter       float64
	seed         uint64 // eviction samples' seed
}

func defaults() config {
	return config{
		early:        DefaultEarlyExpiry,
		clock:        newCoarseClock(),
		fetchTimeout: DefaultFetchTimeout,
		minBackoff:   DefaultMinBackoff,
		maxBackoff:   DefaultMaxBackoff,
		maxEntries:   DefaultMaxEntries,
		lockWait:     DefaultLockWait,
		jitter:       DefaultRefreshJitter,
		seed:         rand.Uint64(),
	}
}

// WithEarlyExpiry sets the early-expiry margin m (default 5 minutes): a
// token is refreshed in the background once it is within m of its
// ExpiresAt. Tokens whose whole lifetime is shorter than 2m use half their
// lifetime instead. A margin under the cache's 10-second safety margin
// (zero included) counts as the safety margin: a token is refreshed, and no
// longer served as fresh, 10 seconds before its ExpiresAt at the latest
// (half its lifetime before, for one living less than 20 seconds). A
// negative value is ignored (the default stays).
func WithEarlyExpiry(d time.Duration) Option { return func(c *config) { setIf(&c.early, d, d >= 0) } }

// WithClock replaces time.Now as the cache's clock, for tests. Every
// reading, the hit path's included, calls it, so moving a fake clock
// changes token states at once (the real clock's hit path reads a value a
// watchdog keeps, instead). Tests may also run in a testing/synctest
// bubble with the default clock. nil keeps time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.clock = funcClock(now)
		}
	}
}

// WithStore adds a second level shared between caches and processes (see
// packages redisstore and sqlstore). The in-memory level stays in front of
// it: hits never touch the Store. Store failures are logged and otherwise
// ignored, and every entry loaded from it is checked as a fresh mint is.
func WithStore(s Store) Option { return func(c *config) { c.store = s } }

// WithFetchTimeout bounds each fetch (default 30 s). A value <= 0 is
// ignored.
func WithFetchTimeout(d time.Duration) Option {
	return func(c *config) { setIf(&c.fetchTimeout, d, d > 0) }
}

// WithBackoff sets the backoff after a failed fetch: it starts near lo,
// doubles with each consecutive failure up to hi, and is jittered (each
// wait is between half and all of the nominal value). Defaults: 1 s and
// 30 s. A value <= 0 is ignored; a hi below lo is raised to lo.
func WithBackoff(lo, hi time.Duration) Option {
	return func(c *config) {
		setIf(&c.minBackoff, lo, lo > 0)
		setIf(&c.maxBackoff, hi, hi > 0)
		c.maxBackoff = max(c.maxBackoff, c.minBackoff)
	}
}

// WithMaxEntries bounds the number of keys held in memory (default 10,000).
// When a new key would exceed it, one entry goes, chosen as Redis chooses:
// among 5 entries sampled at random (all of them in a cache this small),
// one whose token has expired or that holds none, else the least recently
// used. An entry with a fetch in flight is never evicted; while such
// fetches hold the cache over the bound, it shrinks back as new keys
// arrive. n <= 0 is ignored.
func WithMaxEntries(n int) Option { return func(c *config) { setIf(&c.maxEntries, n, n > 0) } }

// WithLockWait bounds how long a cache waits for another process that holds
// the Store's refresh lock to publish its token before minting one itself
// (default 5 s). The wait is never more than half the fetch timeout (see
// [WithFetchTimeout]), so that the mint after it has time left. A value
// <= 0 is ignored.
func WithLockWait(d time.Duration) Option { return func(c *config) { setIf(&c.lockWait, d, d > 0) } }

// WithLogger makes the cache log fetch failures (warn), fetches and store
// trouble (debug) to l. Lines carry the provider and a short hash of the
// key, never a token value or the key itself. nil (the default) logs
// nothing.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithObserver attaches o (see [Observer]); the option may be given more
// than once. nil is ignored.
func WithObserver(o Observer) Option {
	return func(c *config) {
		if o != nil {
			c.observers = append(c.observers, o)
		}
	}
}

// WithRefreshJitter spreads refresh times: each fetched token turns stale
// up to frac × m earlier than the early-expiry margin m says (uniformly at
// random), so that replicas which minted at the same moment do not all
// refresh in the same second. The default is [DefaultRefreshJitter] (10 %,
// 30 s of the default 5 minutes); 0 gives exact times. frac is clamped to
// [0, 0.5]; NaN is ignored. Refreshes only ever move earlier: a stale token still has at
// least m left, and the safety margin before ExpiresAt is unchanged.
func WithRefreshJitter(frac float64) Option {
	return func(c *config) {
		if frac == frac { // NaN is ignored
			c.jitter = min(max(frac, 0), 0.5)
		}
	}
}

// withSeed seeds the eviction samples' generator, for tests. Refresh and
// backoff jitter come from math/rand/v2's own generator.
func withSeed(seed uint64) Option { return func(c *config) { c.seed = seed } }

// setIf sets *dst to v if ok: an option's value out of range is ignored.
func setIf[T any](dst *T, v T, ok bool) {
	if ok {
		*dst = v
	}
}
