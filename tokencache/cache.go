package tokencache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Cache holds tokens by key. The zero value is not usable; create one with
// [New]. A Cache is safe for concurrent use, and one Cache may be shared by
// any number of provider clients: their keys never collide because each
// includes the provider and a hash of the credential.
type Cache struct {
	cfg config

	entries sync.Map           // string -> *entry; lock-free reads on the hit path
	flights singleflight.Group // one fetch per key

	mu  sync.Mutex // guards all and every entry's idx; serialises inserts and evictions
	all []*entry   // every entry in entries, for sampled eviction

	life    sync.RWMutex // taken to start background work; Close takes it exclusively
	closed  atomic.Bool
	base    context.Context // cancelled by Close; every fetch is bound to it
	cancel  context.CancelFunc
	wg      sync.WaitGroup // flights, background refreshes and the watchdog
	watched atomic.Bool    // the watchdog has been started

	coarse atomic.Int64     // the wall clock (Unix ns) as of the last watchdog tick; never moves back
	wall   func() time.Time // the real clock: time.Now, replaced only by tests
	rndM   sync.Mutex       // guards rnd
	rnd    *rand.Rand       // refresh jitter, backoff jitter, eviction samples

	srcs sync.Map      // *hitCounter -> struct{}: live Sources' hit counters
	gone atomic.Uint64 // hits of Sources since garbage collected
	hits *hitCounter   // Get hits
	stat counters      // every other counter
}

// New returns a Cache configured by opts. Call [Cache.Close] when done with
// it to stop its background work.
func New(opts ...Option) *Cache {
	c := &Cache{cfg: defaults(), wall: time.Now, hits: newHitCounter()}
	for _, o := range opts {
		if o != nil {
			o(&c.cfg)
		}
	}
	if c.cfg.jitter < 0 { // not set: exact times on a fake clock
		c.cfg.jitter = DefaultRefreshJitter
		if c.cfg.clock != nil {
			c.cfg.jitter = 0
		}
	}
	seed := c.cfg.seed
	if !c.cfg.seeded {
		if c.cfg.clock != nil {
			seed = 1 // deterministic under a fake clock
		} else {
			seed = rand.Uint64()
		}
	}
	c.rnd = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c.base, c.cancel = context.WithCancel(context.Background())
	return c
}

// Now returns the time by the cache's clock: time.Now, or the function given
// to [WithClock]. Provider clients compute ExpiresAt from it.
func (c *Cache) Now() time.Time {
	if c.cfg.clock != nil {
		return c.cfg.clock()
	}
	return c.wall()
}

// Get returns the token cached for key, calling fetch when there is none
// that can be served:
//
//   - a fresh token is returned at once;
//   - a stale one is returned at once, and one background fetch starts;
//   - otherwise Get waits for the single fetch in flight for key (starting it
//     if need be), or for ctx to end, in which case it returns ctx's error
//     while the fetch goes on for the other callers.
//
// After a failed fetch the key backs off (see [WithBackoff]); meanwhile Get
// serves a still-usable token, or returns the last fetch error wrapped with
// [ErrBackoff] without calling fetch. Get never returns a token at or past its
// ExpiresAt. After Close, and to callers waiting when Close is called, it
// returns [ErrClosed].
func (c *Cache) Get(ctx context.Context, key string, fetch FetchFunc) (Token, error) {
	if v, ok := c.entries.Load(key); ok {
		if it := c.hit(v.(*entry)); it != nil {
			c.hits.inc()
			return it.tok, nil
		}
	}
	return c.get(ctx, key, nil, fetch, true)
}

// GetFresh is Get for tokens handed on to a browser or another party, which
// should arrive well before their expiry: a stale token is not served, the
// caller waits for the refresh instead (one fetch, shared as always). While
// the key is backing off after a failed fetch, a stale token is still
// served rather than an error.
func (c *Cache) GetFresh(ctx context.Context, key string, fetch FetchFunc) (Token, error) {
	if v, ok := c.entries.Load(key); ok {
		if it := c.hit(v.(*entry)); it != nil {
			c.hits.inc()
			return it.tok, nil
		}
	}
	return c.get(ctx, key, nil, fetch, false)
}

// hit is the lock-free, allocation-free read of a fresh token: the entry's
// item if it is fresh, else nil. On the real clock it judges by the coarse
// clock the watchdog advances once a tick, which costs one load where
// time.Now costs a system clock read: a token is treated as fresh until a
// tick past its refresh time at most, and never within two ticks of the end
// of its safety margin.
func (c *Cache) hit(e *entry) *item {
	it := e.cur.Load()
	if it == nil { // Close empties every entry: no closed check needed here
		return nil
	}
	var now int64
	if c.cfg.clock == nil {
		now = c.coarse.Load()
		if now >= it.staleAt || now >= it.expireAt-2*int64(c.cfg.tick) {
			return nil
		}
	} else {
		now = c.cfg.clock().UnixNano()
		if now >= it.staleAt {
			return nil
		}
	}
	if e.used.Load() != now { // write only when it changes: keeps the line shared
		e.used.Store(now)
	}
	return it
}

// get is the slow path of Get, GetFresh and Source.Token. src, when not
// nil, is told the entry key resolves to and counts the hit; serveStale
// says whether a stale token may be returned while it refreshes.
func (c *Cache) get(ctx context.Context, key string, src *Source, fetch FetchFunc, serveStale bool) (Token, error) {
	if c.closed.Load() {
		return Token{}, ErrClosed
	}
	if fetch == nil {
		return Token{}, errors.New("tokencache: nil FetchFunc")
	}
	// A key with no entry goes straight to the flight, which creates it.
	if v, ok := c.entries.Load(key); ok {
		e := v.(*entry)
		if src != nil {
			src.e.Store(e)
		}
		now := c.Now()
		f := e.fail.Load()
		backingOff := f != nil && now.Before(f.until)
		if it := e.cur.Load(); it != nil {
			switch phase := c.phaseOf(it, now); {
			case phase == phaseFresh:
				c.touch(e, now)
				if src != nil {
					src.hit()
				} else {
					c.hits.inc()
				}
				return it.tok, nil
			case phase == phaseStale && (serveStale || backingOff):
				c.touch(e, now)
				if !backingOff {
					c.refresh(ctx, e, key, fetch)
				}
				c.stat.staleHits.inc()
				return it.tok, nil
			}
		}
		if backingOff {
			c.stat.misses.inc()
			return Token{}, backoffError(f, now)
		}
	}
	c.stat.misses.inc()
	if ctx.Done() == nil {
		// A caller that can never stop waiting runs the flight on its own
		// goroutine: no hand-off to a flight goroutine and back (about a
		// third of a loopback mint). Close still ends the fetch, and
		// everyone else joins this flight as usual.
		v, err, _ := c.flights.Do(key, func() (any, error) { return c.fly(ctx, key, fetch) })
		tok, _ := v.(Token)
		return tok, err
	}
	return c.await(ctx, c.flight(ctx, key, fetch))
}

// await waits for a flight's result, for ctx to end or for the cache to
// close.
func (c *Cache) await(ctx context.Context, ch <-chan singleflight.Result) (Token, error) {
	select {
	case r := <-ch:
		tok, _ := r.Val.(Token)
		return tok, r.Err
	case <-ctx.Done():
		return Token{}, ctx.Err()
	case <-c.base.Done():
		return Token{}, ErrClosed
	}
}

func backoffError(f *fail, now time.Time) error {
	return fmt.Errorf("%w (%s left): %w", ErrBackoff, f.until.Sub(now).Round(time.Millisecond), f.err)
}

// phaseOf returns the item's state at now. On the real clock the coarse
// clock counts too, so that a state the hit path has seen never goes back.
func (c *Cache) phaseOf(it *item, now time.Time) uint32 {
	n := nanos(now)
	if c.cfg.clock == nil {
		n = max(n, c.coarse.Load())
	}
	return it.phaseAt(n)
}

// touch records a use of e for LRU eviction.
func (c *Cache) touch(e *entry, now time.Time) {
	t := c.coarse.Load()
	if c.cfg.clock != nil {
		t = now.UnixNano()
	}
	if e.used.Load() != t {
		e.used.Store(t)
	}
}

// advanceCoarse moves the coarse clock to now, unless it is already later.
func (c *Cache) advanceCoarse(now int64) {
	for {
		cur := c.coarse.Load()
		if now <= cur || c.coarse.CompareAndSwap(cur, now) {
			return
		}
	}
}

// Invalidate drops the token cached for key if it is still stale (compared
// by Value), typically after the provider answered 401 to a request made with
// it. If the cache already holds another token, Invalidate does nothing, so
// any number of concurrent 401s for one token lead to one refresh. With a
// Store, the token is also deleted there (compare-and-delete) and never
// reloaded from it.
func (c *Cache) Invalidate(key string, stale Token) {
	if stale.Value == "" {
		return
	}
	v, ok := c.entries.Load(key)
	if !ok {
		c.deleteShared(key, stale)
		return
	}
	e := v.(*entry)
	e.mu.Lock()
	it := e.cur.Load()
	held := it != nil && it.tok.Value == stale.Value
	if held {
		e.install(nil)
	}
	e.rejected = stale.Value
	e.mu.Unlock()
	if held || it == nil {
		c.deleteShared(key, stale)
	}
}

func (c *Cache) deleteShared(key string, stale Token) {
	if c.cfg.store == nil || c.closed.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(c.base, 2*time.Second)
	defer cancel()
	if err := c.cfg.store.Delete(ctx, key, stale); err != nil {
		c.debug("store delete failed", key, slog.String("error", err.Error()))
	}
}

// Close stops the cache's background work: it cancels fetches in flight and
// waits for them and for the watchdog to return.
// Callers waiting for a fetch get [ErrClosed] at once, and so does every
// later Get. Close is idempotent and always returns nil.
func (c *Cache) Close() error {
	c.life.Lock()
	already := c.closed.Swap(true)
	c.life.Unlock()
	if already {
		return nil
	}
	c.cancel()
	c.wg.Wait()
	// Flights have ended and no new one starts: empty every entry, which
	// sends every later read to the slow path, where it meets ErrClosed.
	c.entries.Range(func(_, v any) bool {
		e := v.(*entry)
		e.mu.Lock()
		e.install(nil)
		e.mu.Unlock()
		return true
	})
	return nil
}

// goBackground runs f on a goroutine that Close waits for, unless the cache
// is closed, in which case it reports false and does nothing.
func (c *Cache) goBackground(f func()) bool {
	c.life.RLock()
	defer c.life.RUnlock()
	if c.closed.Load() {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:6])
}

func (c *Cache) warn(msg, key string, attrs ...slog.Attr) {
	c.log(slog.LevelWarn, msg, key, attrs)
}

func (c *Cache) debug(msg, key string, attrs ...slog.Attr) {
	c.log(slog.LevelDebug, msg, key, attrs)
}

func (c *Cache) log(level slog.Level, msg, key string, attrs []slog.Attr) {
	l := c.cfg.logger
	if l == nil || !l.Enabled(context.Background(), level) {
		return
	}
	l.LogAttrs(context.Background(), level, msg, append(attrs, slog.String("key_hash", keyHash(key)))...)
}
