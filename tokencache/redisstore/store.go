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
// Redis. Entries expire in Redis at the token's ExpiresAt. With
// [WithEncryptionKey], values are sealed with AES-GCM.
//
// Redis trouble never fails a Get: the cache treats every Store error as a
// miss and carries on from memory and the provider. After an error the
// Store stays out of the way for a short cooldown (so a down Redis costs no
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
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/checkoutkit/checkoutkit/tokencache"
)

// Defaults for the options.
const (
	DefaultPrefix    = "checkoutkit:"
	DefaultTimeout   = 500 * time.Millisecond
	DefaultCooldown  = 2 * time.Second
	warnEvery        = 30 * time.Second
	fingerprintBytes = 16 // hex-encoded at the start of every value
)

// ErrUnavailable is returned, without touching Redis, during the cooldown
// after a Redis error.
var ErrUnavailable = errors.New("redisstore: redis unavailable, cooling down")

// Store implements tokencache.Store on a go-redis client. It is safe for
// concurrent use.
type Store struct {
	rdb      redis.UniversalClient
	cluster  *redis.ClusterClient // rdb, when it is one: cooldowns per node
	prefix   string
	timeout  time.Duration
	cooldown time.Duration
	aead     cipher.AEAD
	err      error // from an option; New returns it
	logger   *slog.Logger

	downUntil  sync.Map // scope ("" or a Cluster master's address) -> *atomic.Int64, unix nanos
	lastWarn   atomic.Int64
	lastUnseal atomic.Int64
}

var _ tokencache.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithPrefix sets the prefix of every Redis key (default "checkoutkit:").
func WithPrefix(p string) Option { return func(s *Store) { s.prefix = p } }

// WithTimeout bounds each Redis operation (default 500 ms).
func WithTimeout(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.timeout = d
		}
	}
}

// WithCooldown sets how long the Store stays out of the way after a Redis
// error (default 2 s).
func WithCooldown(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.cooldown = d
		}
	}
}

// WithEncryptionKey seals stored values with AES-256-GCM under a key
// derived from key (SHA-256), bound to the Redis key they are stored at.
// key must hold at least 16 bytes of secret: a shorter one is an error from
// [New], rather than tokens stored under a weak key. The key is never
// logged. A value that does not open (another replica's key, tampering,
// garbage) is a miss, and is logged (at most every 30 s) so that replicas
// configured with different keys do not silently stop sharing.
func WithEncryptionKey(key []byte) Option {
	return func(s *Store) {
		if len(key) < 16 {
			s.err = errors.New("redisstore: WithEncryptionKey: the key must hold at least 16 bytes")
			return
		}
		k := sha256.Sum256(key)
		block, err := aes.NewCipher(k[:])
		if err == nil {
			s.aead, err = cipher.NewGCM(block)
		}
		if err != nil {
			s.err = fmt.Errorf("redisstore: WithEncryptionKey: %w", err)
		}
	}
}

// WithLogger logs Redis trouble (a warning at most every 30 s) to l. The
// messages carry no key, token or encryption key.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.logger = l } }

// New returns a Store on rdb (a *redis.Client, *redis.ClusterClient or
// failover client). It fails, without touching Redis, on a nil client or a
// bad option (an encryption key under 16 bytes).
func New(rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: nil Redis client")
	}
	s := &Store{rdb: rdb, prefix: DefaultPrefix, timeout: DefaultTimeout, cooldown: DefaultCooldown}
	s.cluster, _ = rdb.(*redis.ClusterClient)
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	if s.err != nil {
		return nil, s.err
	}
	return s, nil
}

// keys returns the token and lock keys for a cache key. The hash tag keeps
// both in one Cluster slot.
func (s *Store) keys(key string) (tok, lock string) {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:16])
	return s.prefix + "tok:{" + h + "}", s.prefix + "lock:{" + h + "}"
}

// stored is the JSON form of an entry.
type stored struct {
	Value     string            `json:"v"`
	Type      string            `json:"t,omitempty"`
	ExpiresAt int64             `json:"e"` // unix nanos
	RefreshAt int64             `json:"r"`
	Extra     map[string]string `json:"x,omitempty"`
}

func (s *Store) fingerprint(value string) string {
	sum := sha256.Sum256([]byte(s.prefix + "\x00" + value))
	return hex.EncodeToString(sum[:fingerprintBytes])
}

// encode lays a value out as fingerprint + payload, the payload sealed when
// encryption is on.
func (s *Store) encode(redisKey string, e tokencache.Entry) ([]byte, error) {
	payload, err := json.Marshal(stored{
		Value: e.Token.Value, Type: e.Token.Type, Extra: e.Token.Extra,
		ExpiresAt: e.Token.ExpiresAt.UnixNano(), RefreshAt: e.RefreshAt.UnixNano(),
	})
	if err != nil {
		return nil, err
	}
	out := []byte(s.fingerprint(e.Token.Value))
	if s.aead == nil {
		return append(out, payload...), nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return s.aead.Seal(out, nonce, payload, []byte(redisKey)), nil
}

func (s *Store) decode(redisKey string, raw []byte) (tokencache.Entry, bool) {
	if len(raw) < 2*fingerprintBytes {
		return tokencache.Entry{}, false
	}
	payload := raw[2*fingerprintBytes:]
	if s.aead != nil {
		n := s.aead.NonceSize()
		if len(payload) < n {
			return tokencache.Entry{}, false
		}
		var err error
		if payload, err = s.aead.Open(nil, payload[:n], payload[n:], []byte(redisKey)); err != nil {
			s.warnUnseal()
			return tokencache.Entry{}, false
		}
	}
	var v stored
	if json.Unmarshal(payload, &v) != nil || v.Value == "" {
		return tokencache.Entry{}, false
	}
	return tokencache.Entry{
		Token:     tokencache.Token{Value: v.Value, Type: v.Type, ExpiresAt: time.Unix(0, v.ExpiresAt), Extra: v.Extra},
		RefreshAt: time.Unix(0, v.RefreshAt),
	}, true
}

// do runs op on redisKey against Redis unless its scope is cooling down,
// with the per-operation timeout, and starts a cooldown of that scope on a
// Redis error.
func (s *Store) do(ctx context.Context, redisKey string, op func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	down := s.scope(ctx, redisKey)
	if time.Now().UnixNano() < down.Load() {
		return ErrUnavailable
	}
	err := op(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		down.Store(time.Now().Add(s.cooldown).UnixNano())
		s.warn(err)
		return fmt.Errorf("redisstore: %w", err)
	}
	return nil
}

// scope returns the cooldown clock for redisKey: one for a standalone or
// failover client, one per master node for a Cluster, so that a failing
// node costs only the keys it holds. The node comes from the client's
// cached slot map (no round trip once it has one).
func (s *Store) scope(ctx context.Context, redisKey string) *atomic.Int64 {
	name := ""
	if s.cluster != nil {
		if node, err := s.cluster.MasterForKey(ctx, redisKey); err == nil {
			name = node.Options().Addr
		}
	}
	if v, ok := s.downUntil.Load(name); ok {
		return v.(*atomic.Int64)
	}
	v, _ := s.downUntil.LoadOrStore(name, new(atomic.Int64))
	return v.(*atomic.Int64)
}

func (s *Store) warn(err error) {
	if s.logger == nil || !every(&s.lastWarn) {
		return
	}
	s.logger.Warn("redisstore: redis unavailable; serving from memory and the provider",
		slog.String("error", err.Error()), slog.Duration("cooldown", s.cooldown))
}

// warnUnseal reports a stored value this replica's key cannot open.
func (s *Store) warnUnseal() {
	if s.logger == nil || !every(&s.lastUnseal) {
		return
	}
	s.logger.Warn("redisstore: a stored token does not open with this replica's encryption key; " +
		"replicas must share one WithEncryptionKey to share tokens")
}

// every reports whether warnEvery has passed since *last, and if so moves
// *last to now; concurrent callers see true once.
func every(last *atomic.Int64) bool {
	now := time.Now().UnixNano()
	prev := last.Load()
	return now-prev >= int64(warnEvery) && last.CompareAndSwap(prev, now)
}

// Load returns the entry stored for key; a value that does not decode or
// open is a miss.
func (s *Store) Load(ctx context.Context, key string) (tokencache.Entry, bool, error) {
	tk, _ := s.keys(key)
	var raw []byte
	err := s.do(ctx, tk, func(ctx context.Context) error {
		var err error
		raw, err = s.rdb.Get(ctx, tk).Bytes()
		return err
	})
	if err != nil || raw == nil {
		return tokencache.Entry{}, false, err
	}
	e, ok := s.decode(tk, raw)
	return e, ok, nil
}

// Save stores e until its token's ExpiresAt.
func (s *Store) Save(ctx context.Context, key string, e tokencache.Entry) error {
	ttl := time.Until(e.Token.ExpiresAt)
	if ttl < time.Millisecond {
		return nil
	}
	tk, _ := s.keys(key)
	raw, err := s.encode(tk, e)
	if err != nil {
		return err
	}
	return s.do(ctx, tk, func(ctx context.Context) error { return s.rdb.Set(ctx, tk, raw, ttl).Err() })
}

var compareAndDelete = redis.NewScript(`
if string.sub(redis.call('GET', KEYS[1]) or '', 1, string.len(ARGV[1])) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0`)

// Delete removes key's entry only if it holds tok (compared by a
// fingerprint of its value, inside Redis).
func (s *Store) Delete(ctx context.Context, key string, tok tokencache.Token) error {
	tk, _ := s.keys(key)
	return s.do(ctx, tk, func(ctx context.Context) error {
		return compareAndDelete.Run(ctx, s.rdb, []string{tk}, s.fingerprint(tok.Value)).Err()
	})
}

var releaseLock = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0`)

// TryLock takes key's refresh lock with SET NX PX and a random owner;
// release deletes it only while this owner still holds it.
func (s *Store) TryLock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, bool, error) {
	_, lk := s.keys(key)
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	owner := hex.EncodeToString(b)
	var ok bool
	err := s.do(ctx, lk, func(ctx context.Context) error {
		var err error
		ok, err = s.rdb.SetNX(ctx, lk, owner, ttl).Result()
		return err
	})
	if err != nil || !ok {
		return nil, false, err
	}
	release := func(ctx context.Context) error {
		return s.do(ctx, lk, func(ctx context.Context) error {
			return releaseLock.Run(ctx, s.rdb, []string{lk}, owner).Err()
		})
	}
	return release, true, nil
}
