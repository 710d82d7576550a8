package tokencache

import (
	"log/slog"
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

	// safetyMargin is how long before ExpiresAt a token stops being served
	// (at most; a short-lived token uses less, see thresholds), so that a
	// token handed out has time to reach the provider before it expires.
	safetyMargin = 10 * time.Second
)

// Option configures a [Cache].
type Option func(*config)

type config struct {
	early        time.Duration
	clock        func() time.Time
	store        Store
	fetchTimeout time.Duration
	minBackoff   time.Duration
	maxBackoff   time.Duration
	maxEntries   int
	lockWait     time.Duration
	logger       *slog.Logger
	sweepEvery   time.Duration
}

func defaults() config {
	return config{
		early:        DefaultEarlyExpiry,
		fetchTimeout: DefaultFetchTimeout,
		minBackoff:   DefaultMinBackoff,
		maxBackoff:   DefaultMaxBackoff,
		maxEntries:   DefaultMaxEntries,
		lockWait:     DefaultLockWait,
		sweepEvery:   time.Second,
	}
}

// WithEarlyExpiry sets the early-expiry margin m (default 5 minutes): a
// token is refreshed in the background once it is within m of its
// ExpiresAt. Tokens whose whole lifetime is shorter than 2m use half their
// lifetime instead. Zero refreshes only at the safety margin; a negative
// value keeps the default.
func WithEarlyExpiry(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.early = d
		}
	}
}

// WithClock replaces time.Now as the cache's clock, for tests. With a clock
// set, every Get reads it, so moving a fake clock changes token states at
// once. nil keeps time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.clock = now }
}

// WithStore adds a second level shared between caches and processes (see
// package redisstore). The in-memory level stays in front of it: hits never
// touch the Store. Store failures are logged and otherwise ignored.
func WithStore(s Store) Option {
	return func(c *config) { c.store = s }
}

// WithFetchTimeout bounds each fetch (default 30 s). A value <= 0 keeps the
// default.
func WithFetchTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.fetchTimeout = d
		}
	}
}

// WithBackoff sets the backoff after a failed fetch: it starts near min,
// doubles with each consecutive failure up to max, and is jittered (each wait
// is between half and all of the nominal value). Defaults: 1 s and 30 s.
// Values <= 0 keep the defaults; max below min is raised to min.
func WithBackoff(min, max time.Duration) Option {
	return func(c *config) {
		if min > 0 {
			c.minBackoff = min
		}
		if max > 0 {
			c.maxBackoff = max
		}
		if c.maxBackoff < c.minBackoff {
			c.maxBackoff = c.minBackoff
		}
	}
}

// WithMaxEntries bounds the number of keys held in memory (default 10,000).
// When a new key would exceed it, entries whose token has expired are
// evicted first, then the least recently used one. n <= 0 keeps the default.
func WithMaxEntries(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxEntries = n
		}
	}
}

// WithLockWait bounds how long a cache waits for another process that holds
// the Store's refresh lock to publish its token before minting one itself
// (default 5 s). A value <= 0 keeps the default.
func WithLockWait(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.lockWait = d
		}
	}
}

// WithLogger makes the cache log fetch failures (warn), fetches and store
// trouble (debug) to l. Entries carry a short hash of the key, never a token
// value or the key itself. nil (the default) logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}
