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

	// DefaultRefreshJitter is the refresh jitter of a cache on the real
	// clock (see [WithRefreshJitter]).
	DefaultRefreshJitter = 0.1

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
	tick         time.Duration // how often the watchdog advances the coarse clock
	jitter       float64       // < 0: not set
	seed         uint64        // jitter seed, if seeded
	seeded       bool
}

func defaults() config {
	return config{
		early:        DefaultEarlyExpiry,
		fetchTimeout: DefaultFetchTimeout,
		minBackoff:   DefaultMinBackoff,
		maxBackoff:   DefaultMaxBackoff,
		maxEntries:   DefaultMaxEntries,
		lockWait:     DefaultLockWait,
		tick:         time.Second,
		jitter:       -1,
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
// When a new key would exceed it, one entry goes, chosen as Redis chooses:
// among 5 entries sampled at random (all of them in a cache this small), one
// whose token has expired or that holds none, else the least recently used.
// Each insert at capacity costs the same whatever the bound. An entry with
// a fetch in flight is never evicted; while such fetches hold it over the
// bound, the cache shrinks back as new keys arrive. n <= 0 keeps the
// default.
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

// WithRefreshJitter spreads refresh times: each fetched token turns stale
// up to frac × m earlier than the early-expiry margin m says (uniformly at
// random), so that replicas which minted at the same moment do not all
// refresh in the same second. The default is [DefaultRefreshJitter] (10 %,
// 30 s of the default 5 minutes) on the real clock and 0 with [WithClock],
// where tests expect exact times; given explicitly, it applies with a fake
// clock too, drawn from a fixed seed so that runs repeat. frac is clamped
// to [0, 0.5]. Refreshes only ever move earlier: a stale token still has at
// least m left, and the safety margin before ExpiresAt is unchanged.
func WithRefreshJitter(frac float64) Option {
	return func(c *config) {
		c.jitter = min(max(frac, 0), 0.5)
	}
}

// withSeed seeds the cache's randomness (refresh jitter, backoff, eviction
// samples), for tests.
func withSeed(seed uint64) Option {
	return func(c *config) { c.seed, c.seeded = seed, true }
}
