// Package redisstore is a tokencache.Store on Redis, so that a fleet of
// replicas mints one token per refresh between them instead of one each.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	store, err := redisstore.New(rdb)
//	if err != nil {
//		return err // a bad option, such as a short encryption key
//	}
//	cache := tokencache.New(tokencache.WithStore(store))
//
// Every operation touches one Redis key (a token and its lock share a hash
// tag, so one Cluster slot), so standalone, Sentinel and Cluster clients all
// work; the tests run on a real 3-master Cluster. Key names are a prefix (default "checkoutkit:")
// and a hash of the cache key: no email, client id or credential appears in
// Redis. Entries expire in Redis at the token's ExpiresAt. Every value is
// bound to its key: it names the key's hash, checked on every Load, so a
// value copied to another key is a miss, and with [WithEncryptionKey] it is
// sealed with AES-GCM whose additional data names the key too. A value over
// 64 KiB is refused (a logged miss), so that write access to Redis cannot
// make a replica read and serve megabytes.
//
// [WithTimeout] bounds every operation whatever the options of the go-redis
// client (a Redis that accepts connections and never answers costs one
// timeout, even with ContextTimeoutEnabled off, when go-redis itself would
// wait its own ReadTimeout). With ContextTimeoutEnabled on a standalone or
// failover client (and its read and write deadlines on, no Limiter),
// go-redis keeps to that deadline itself and each operation runs on the
// caller's goroutine: the cheaper way, and the one the package example
// shows. go-redis keeps to deadlines, not to cancellation: an operation
// under way when [tokencache.Cache.Close] cancels its fetch runs on until
// its deadline, so Close may wait up to one WithTimeout for it.
//
// Redis trouble never fails a Get: the cache treats every Store error as a
// miss and carries on from memory and the provider. An error that belongs
// to one key (WRONGTYPE: someone wrote a hash there) stays with that key:
// it is a miss for that key alone, and the next Save replaces the value.
// After any other error the Store stays out of the way for a short cooldown (so a down Redis costs no
// latency), logs a rate-limited warning, and shares again once Redis
// answers. On a Cluster the cooldown is scoped to the master node that
// failed: keys on the healthy masters go on being shared, provided the
// Cluster runs with cluster-require-full-coverage no. With Redis's default
// (yes), once a master is flagged as failed and no replica has taken over
// its slots, every node refuses every key (CLUSTERDOWN); the Store then
// stands aside on all of them, and each replica mints once per key and
// refresh, as it would without a Store, until the Cluster is whole again.
package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/checkoutkit/checkoutkit/internal/storekit"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// Defaults for the options.
const (
	DefaultPrefix   = "checkoutkit:"
	DefaultTimeout  = 500 * time.Millisecond
	DefaultCooldown = 2 * time.Second
)

// MaxValueBytes is the largest token value (sealed or not) a Store saves or
// loads; a larger one in Redis is a miss.
const MaxValueBytes = 64 << 10

// ErrUnavailable is returned, without touching Redis, during the cooldown
// after a Redis error.
var ErrUnavailable = errors.New("redisstore: redis unavailable, cooling down")

// Store implements tokencache.Store on a go-redis client. It is safe for
// concurrent use.
type Store struct {
	rdb      redis.UniversalClient
	cluster  *redis.ClusterClient // rdb, when it is one: cooldowns per node
	mapped   atomic.Bool          // a slot lookup has answered: the cluster client holds a slot map
	inline   bool                 // rdb keeps to context deadlines itself (ContextTimeoutEnabled): no goroutine per call
	prefix   string
	timeout  time.Duration
	cooldown time.Duration
	encKey   []byte
	codec    *storekit.Codec
	err      error // from an option; New returns it
	logger   *slog.Logger

	downUntil sync.Map // scope ("" or a Cluster master's address) -> *storekit.Cooldown
	warnDown  storekit.Warner
	warnKey   storekit.Warner
	warnValue storekit.Warner
	warnOpen  storekit.Warner
}

var _ tokencache.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithPrefix sets the prefix of every Redis key (default "checkoutkit:").
func WithPrefix(p string) Option { return func(s *Store) { s.prefix = p } }

// WithTimeout bounds each Redis operation (default 500 ms), whatever the
// go-redis client's own timeouts: an operation still running then is
// abandoned (its goroutine ends when go-redis gives up) and starts the
// cooldown. A duration that is not positive is an error from [New].
func WithTimeout(d time.Duration) Option {
	return func(s *Store) {
		if d <= 0 {
			s.err = errors.New("redisstore: WithTimeout: the timeout must be positive")
			return
		}
		s.timeout = d
	}
}

// WithCooldown sets how long the Store stays out of the way after a Redis
// error (default 2 s). A duration that is not positive is an error from
// [New].
func WithCooldown(d time.Duration) Option {
	return func(s *Store) {
		if d <= 0 {
			s.err = errors.New("redisstore: WithCooldown: the cooldown must be positive")
			return
		}
		s.cooldown = d
	}
}

// WithEncryptionKey seals stored values with AES-256-GCM under a key
// derived from key (SHA-256), bound to the cache key they are stored at
// (its hash is the additional data). key must hold at least 16 bytes of
// secret: a shorter one is an error from [New], rather than tokens stored
// under a weak key. The key is never logged. A value that does not open
// (another replica's key, tampering, a value moved from another key,
// garbage) is a miss, and is logged (at most every 30 s) so that replicas
// configured with different keys do not silently stop sharing.
func WithEncryptionKey(key []byte) Option {
	return func(s *Store) {
		if len(key) < storekit.MinKeyBytes {
			s.err = fmt.Errorf("redisstore: WithEncryptionKey: the key must hold at least %d bytes", storekit.MinKeyBytes)
			return
		}
		s.encKey = key
	}
}

// WithLogger logs Redis trouble (a warning at most every 30 s) to l. The
// messages carry no key, token or encryption key.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.logger = l } }

// New returns a Store on rdb (a *redis.Client, *redis.ClusterClient or
// failover client), with any go-redis options: the Store bounds its own
// operations. It fails, without touching Redis, on a nil client or a bad
// option (a timeout or cooldown that is not positive, an encryption key
// under 16 bytes).
func New(rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: nil Redis client")
	}
	s := &Store{rdb: rdb, prefix: DefaultPrefix, timeout: DefaultTimeout, cooldown: DefaultCooldown}
	s.cluster, _ = rdb.(*redis.ClusterClient)
	s.inline = keepsToDeadlines(rdb)
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	if s.err != nil {
		return nil, s.err
	}
	codec, err := storekit.NewCodec(s.prefix, s.encKey)
	if err != nil {
		return nil, fmt.Errorf("redisstore: WithEncryptionKey: %w", err)
	}
	s.codec, s.encKey = codec, nil
	return s, nil
}

// keepsToDeadlines reports whether rdb keeps to a context's deadline by
// itself on every operation: a standalone or failover client with
// ContextTimeoutEnabled, deadlines on its reads and writes (-2 turns them
// off) and no Limiter (which waits without a context).
func keepsToDeadlines(rdb redis.UniversalClient) bool {
	c, ok := rdb.(*redis.Client)
	if !ok {
		return false
	}
	o := c.Options()
	// Options are as go-redis normalised them: a caller's -2 reads -1 here.
	return o.ContextTimeoutEnabled && o.ReadTimeout >= 0 && o.WriteTimeout >= 0 && o.Limiter == nil
}

// keys returns the key hash and the token and lock keys for a cache key.
// The hash tag keeps both in one Cluster slot.
func (s *Store) keys(key string) (hash, tok, lock string) {
	h := storekit.KeyHash(key)
	return h, s.prefix + "tok:{" + h + "}", s.prefix + "lock:{" + h + "}"
}

// A Redis value is the token's fingerprint (for compare-and-delete inside
// Redis) followed by the entry as storekit encodes it for the key.
func (s *Store) encode(hash string, e tokencache.Entry) ([]byte, error) {
	body, err := s.codec.Encode(hash, e)
	if err != nil {
		return nil, err
	}
	return append([]byte(s.codec.Fingerprint(e.Token.Value)), body...), nil
}

func (s *Store) decode(hash string, raw []byte) (tokencache.Entry, bool) {
	if len(raw) < storekit.FingerprintLen {
		s.refused(storekit.ErrGarbage)
		return tokencache.Entry{}, false
	}
	e, err := s.codec.Decode(hash, raw[storekit.FingerprintLen:])
	if err != nil {
		s.refused(err)
		return tokencache.Entry{}, false
	}
	return e, true
}

// result is what one Redis operation returns.
type result[T any] struct {
	v   T
	err error
}

// call runs op on redisKey against Redis unless its scope is cooling down,
// within the Store's timeout whatever the client's options. A standalone or
// failover client with ContextTimeoutEnabled keeps to the context's
// deadline itself, and op runs on the caller's goroutine; otherwise the
// scope's lookup (a Cluster's slot map may need loading) and op run on a
// goroutine of their own, and a call that outlives the timeout is abandoned. An error
// that belongs to the key (WRONGTYPE) is returned as it is; any other Redis
// error, or the timeout, starts a cooldown of the scope.
func call[T any](ctx context.Context, s *Store, redisKey string, op func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	// The Store-wide scope: a standalone or failover client's, or a
	// Cluster's whose slot lookup hung. No lookup, no goroutine.
	whole := s.cooldownOf("")
	if whole.Active() {
		return zero, ErrUnavailable
	}
	octx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var r result[T]
	var down *storekit.Cooldown
	if s.inline {
		// The client keeps to octx's deadline itself (see keepsToDeadlines).
		down = whole
		if r.v, r.err = op(octx); r.err != nil && octx.Err() != nil {
			r.err = fmt.Errorf("no answer within %v: %w", s.timeout, r.err)
		}
	} else {
		scope := make(chan *storekit.Cooldown, 1) // buffered: an abandoned call still finishes
		done := make(chan result[T], 1)
		go func() {
			down, err := s.scope(octx, redisKey)
			if err == nil && octx.Err() != nil { // the lookup outlasted the timeout
				down, err = nil, octx.Err()
			}
			scope <- down
			if down == nil { // op never ran
				done <- result[T]{err: err}
				return
			}
			if down.Active() {
				done <- result[T]{err: ErrUnavailable}
				return
			}
			v, err := op(octx)
			done <- result[T]{v, err}
		}()
		select {
		case r = <-done:
			down = <-scope // sent before done
			if down != nil && errors.Is(r.err, ErrUnavailable) {
				return zero, ErrUnavailable
			}
		case <-octx.Done():
			r.err = fmt.Errorf("no answer within %v: %w", s.timeout, octx.Err())
			select {
			case down = <-scope:
			default:
			}
		}
		// down is nil when the lookup itself failed or hung. With no slot
		// map yet the Cluster is unreachable: cool down the Store as a
		// whole. Once a lookup has answered (go-redis keeps the map), a
		// failed one only asked a stalled node first, which says nothing
		// about this key's node: no cooldown.
		if down == nil && !s.mapped.Load() {
			down = whole
		}
	}
	switch {
	case r.err == nil || errors.Is(r.err, redis.Nil):
		return r.v, nil
	case ctx.Err() != nil: // the caller gave up, whichever the Store saw first: not Redis's fault
		return zero, ctx.Err()
	case keyError(r.err):
		s.warnKey.Warn(s.logger, "redisstore: a key holds a value of the wrong type; treated as a miss and replaced on the next save",
			slog.String("error", r.err.Error()))
		return zero, fmt.Errorf("redisstore: %w", r.err)
	}
	if down != nil {
		down.Start(s.cooldown)
	}
	s.warnDown.Warn(s.logger, "redisstore: redis unavailable; serving from memory and the provider",
		slog.String("error", r.err.Error()), slog.Duration("cooldown", s.cooldown))
	return zero, fmt.Errorf("redisstore: %w", r.err)
}

// keyError reports whether err is about one key rather than Redis: such an
// error must not put the whole Store (or node) into cooldown.
func keyError(err error) bool {
	return redis.HasErrorPrefix(err, "WRONGTYPE")
}

// scope returns the cooldown clock for redisKey: one for a standalone or
// failover client, one per master node for a Cluster, so that a failing
// node costs only the keys it holds. The node comes from the client's
// cached slot map (no round trip once it has one); a lookup that fails
// (no slot map could load) is an error and no scope.
func (s *Store) scope(ctx context.Context, redisKey string) (*storekit.Cooldown, error) {
	name := ""
	if s.cluster != nil {
		node, err := s.cluster.MasterForKey(ctx, redisKey)
		if err != nil {
			return nil, err
		}
		name = node.Options().Addr
		s.mapped.Store(true)
	}
	return s.cooldownOf(name), nil
}

// cooldownOf returns the cooldown clock of a scope ("" for the Store as a
// whole, else a Cluster master's address).
func (s *Store) cooldownOf(name string) *storekit.Cooldown {
	if v, ok := s.downUntil.Load(name); ok {
		return v.(*storekit.Cooldown)
	}
	v, _ := s.downUntil.LoadOrStore(name, new(storekit.Cooldown))
	return v.(*storekit.Cooldown)
}

// refused logs (rate-limited) a stored value that Load treats as a miss.
func (s *Store) refused(err error) {
	if errors.Is(err, storekit.ErrUnseal) {
		s.warnOpen.Warn(s.logger, "redisstore: a stored token does not open with this replica's encryption key; "+
			"replicas must share one WithEncryptionKey to share tokens")
		return
	}
	s.warnValue.Warn(s.logger, "redisstore: a stored value was refused and treated as a miss",
		slog.String("reason", err.Error()))
}

// Load returns the entry stored for key. A value that is over
// MaxValueBytes, does not open, belongs to another key or does not decode
// is a miss (logged, rate-limited); Redis reads at most MaxValueBytes of it.
func (s *Store) Load(ctx context.Context, key string) (tokencache.Entry, bool, error) {
	hash, tk, _ := s.keys(key)
	raw, err := call(ctx, s, tk, func(ctx context.Context) ([]byte, error) {
		// One byte past the cap tells a value over it from one at it.
		return s.rdb.GetRange(ctx, tk, 0, storekit.FingerprintLen+MaxValueBytes).Bytes()
	})
	if err != nil || len(raw) == 0 {
		return tokencache.Entry{}, false, err
	}
	if len(raw) > storekit.FingerprintLen+MaxValueBytes {
		s.refused(storekit.ErrTooLarge)
		return tokencache.Entry{}, false, nil
	}
	e, ok := s.decode(hash, raw)
	return e, ok, nil
}

// Save stores e until its token's ExpiresAt, replacing whatever the key
// held (a value of another type too). A value over MaxValueBytes is an
// error and is not stored.
func (s *Store) Save(ctx context.Context, key string, e tokencache.Entry) error {
	ttl := time.Until(e.Token.ExpiresAt)
	if ttl < time.Millisecond {
		return nil
	}
	hash, tk, _ := s.keys(key)
	raw, err := s.encode(hash, e)
	if err != nil {
		return fmt.Errorf("redisstore: %w", err)
	}
	_, err = call(ctx, s, tk, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.rdb.Set(ctx, tk, raw, ttl).Err()
	})
	return err
}

var compareAndDelete = redis.NewScript(`
if string.sub(redis.call('GET', KEYS[1]) or '', 1, string.len(ARGV[1])) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0`)

// Delete removes key's entry only if it holds tok (compared by a
// fingerprint of its value, inside Redis).
func (s *Store) Delete(ctx context.Context, key string, tok tokencache.Token) error {
	_, tk, _ := s.keys(key)
	_, err := call(ctx, s, tk, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, compareAndDelete.Run(ctx, s.rdb, []string{tk}, s.codec.Fingerprint(tok.Value)).Err()
	})
	return err
}

var releaseLock = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0`)

// takeLock is SET NX PX; when the key is there but has no expiry (a
// value of another type, or one written by hand or by a buggy tool: no lock
// of ours lacks one), it is replaced, since it would otherwise hold the
// lock forever and every refresh of that key would wait out the lock wait.
// A free lock costs Redis one SET, a held one a SET and a PTTL.
var takeLock = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
	return 1
end
if redis.call('PTTL', KEYS[1]) ~= -1 then
	return 0
end
redis.call('DEL', KEYS[1])
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
	return 1
end
return 0`)

// TryLock takes key's refresh lock with SET NX PX and a random owner;
// release deletes it only while this owner still holds it. A lock key
// without an expiry (of another type, or written by hand) is replaced.
func (s *Store) TryLock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, bool, error) {
	_, _, lk := s.keys(key)
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	owner := hex.EncodeToString(b)
	ok, err := call(ctx, s, lk, func(ctx context.Context) (bool, error) {
		n, err := takeLock.Run(ctx, s.rdb, []string{lk}, owner, max(ttl.Milliseconds(), 1)).Int()
		return n == 1, err
	})
	if err != nil || !ok {
		return nil, false, err
	}
	release := func(ctx context.Context) error {
		_, err := call(ctx, s, lk, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, releaseLock.Run(ctx, s.rdb, []string{lk}, owner).Err()
		})
		return err
	}
	return release, true, nil
}

// MaxValueBytes is storekit's cap, spelled out for godoc: this fails to
// compile if the two differ.
var _ = [1]struct{}{}[MaxValueBytes-storekit.MaxValueBytes]
