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
)

// Cache holds tokens by key. The zero value is not usable; create one with
// [New]. A Cache is safe for concurrent use, and one Cache may be shared by
// any number of provider clients: their keys never collide because each
// includes the provider and a hash of the credential.
type Cache struct {
	cfg config

	entries sync.Map // string -> *entry; lock-free reads on the hit path

	mu sync.Mutex // guards n and serialises inserts and evictions
	n  int

	life    sync.RWMutex // taken to start background work; Close takes it exclusively
	closed  atomic.Bool
	base    context.Context // cancelled by Close; every fetch is bound to it
	cancel  context.CancelFunc
	wg      sync.WaitGroup // fetch workers and the watchdog
	jobs    chan func()    // hands a fetch to an idle worker
	watched atomic.Bool    // the watchdog has been started

	tick atomic.Int64 // coarse clock (watchdog ticks) for LRU on the real clock

	stats counters
}

// New returns a Cache configured by opts. Call [Cache.Close] when done with
// it to stop its background work.
func New(opts ...Option) *Cache {
	c := &Cache{cfg: defaults()}
	for _, o := range opts {
		if o != nil {
			o(&c.cfg)
		}
	}
	c.base, c.cancel = context.WithCancel(context.Background())
	c.jobs = make(chan func())
	return c
}

// Now returns the time by the cache's clock: time.Now, or the function given
// to [WithClock]. Provider clients compute ExpiresAt from it.
func (c *Cache) Now() time.Time {
	if c.cfg.clock != nil {
		return c.cfg.clock()
	}
	return time.Now()
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
// ExpiresAt. After Close it returns [ErrClosed].
func (c *Cache) Get(ctx context.Context, key string, fetch FetchFunc) (Token, error) {
	if v, ok := c.entries.Load(key); ok {
		if it := c.hit(v.(*entry)); it != nil {
			c.stats.hits.inc()
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
			c.stats.hits.inc()
			return it.tok, nil
		}
	}
	return c.get(ctx, key, nil, fetch, false)
}

// hit is the lock-free, allocation-free read of a fresh token: the entry's
// item if it is fresh, else nil. On the real clock it reads the phase that
// timers maintain instead of the clock.
func (c *Cache) hit(e *entry) *item {
	it := e.cur.Load()
	if it == nil || c.closed.Load() {
		return nil
	}
	var tick int64
	if c.cfg.clock == nil {
		if it.phase.Load() != phaseFresh {
			return nil
		}
		tick = c.tick.Load()
	} else {
		now := c.cfg.clock()
		if !now.Before(it.staleAt) {
			return nil
		}
		tick = now.UnixNano()
	}
	if e.used.Load() != tick { // write only when it changes: keeps the line shared
		e.used.Store(tick)
	}
	return it
}

// get is the slow path of Get, GetFresh and Source.Token. src, when not
// nil, is told the entry it resolves to; serveStale says whether a stale
// token may be returned while it refreshes.
func (c *Cache) get(ctx context.Context, key string, src *Source, fetch FetchFunc, serveStale bool) (Token, error) {
	if c.closed.Load() {
		return Token{}, ErrClosed
	}
	if fetch == nil {
		return Token{}, errors.New("tokencache: nil FetchFunc")
	}
	for {
		e := c.entry(key)
		if src != nil {
			src.e.Store(e)
		}
		// A herd on a key with no token joins the fetch in flight without
		// queueing on the entry's lock, which thousands of waiters would
		// otherwise take one after another.
		if cl := e.pending.Load(); cl != nil && e.cur.Load() == nil {
			c.stats.misses.inc()
			return wait(ctx, cl)
		}
		e.mu.Lock()
		if e.evicted { // lost a race with eviction: resolve the key again
			e.mu.Unlock()
			continue
		}
		now := c.Now()
		it := e.cur.Load()
		phase := phaseExpired
		if it != nil {
			phase = c.phaseOf(it, now)
		}
		backingOff := now.Before(e.backoffUntil)
		switch {
		case phase == phaseFresh:
			e.mu.Unlock()
			if src == nil { // Source hits are never counted (see Stats)
				c.stats.hits.inc()
			}
			return it.tok, nil
		case phase == phaseStale && (serveStale || backingOff):
			if e.call == nil && !backingOff {
				c.startFetch(ctx, e, fetch)
			}
			e.mu.Unlock()
			c.stats.staleHits.inc()
			return it.tok, nil
		}
		c.stats.misses.inc()
		cl := e.call
		if cl == nil {
			if backingOff {
				err := fmt.Errorf("%w (%s left): %w", ErrBackoff,
					e.backoffUntil.Sub(now).Round(time.Millisecond), e.lastErr)
				e.mu.Unlock()
				return Token{}, err
			}
			cl = c.startFetch(ctx, e, fetch)
			if cl == nil {
				e.mu.Unlock()
				return Token{}, ErrClosed
			}
		}
		e.mu.Unlock()
		return wait(ctx, cl)
	}
}

// wait blocks until cl is done or ctx ends.
func wait(ctx context.Context, cl *call) (Token, error) {
	select {
	case <-cl.done:
		return cl.tok, cl.err
	case <-ctx.Done():
		return Token{}, ctx.Err()
	}
}

// phaseOf returns the item's state at now. On the real clock the state the timers and
// the watchdog set counts too, so that once a token is seen as expired it
// stays so.
func (c *Cache) phaseOf(it *item, now time.Time) uint32 {
	p := it.phaseAt(now)
	if c.cfg.clock != nil {
		return p
	}
	it.advance(p)
	return it.phase.Load()
}

// entry returns key's entry, creating it (and evicting to make room) if need
// be.
func (c *Cache) entry(key string) *entry {
	if v, ok := c.entries.Load(key); ok {
		return v.(*entry)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.entries.Load(key); ok {
		return v.(*entry)
	}
	if c.n >= c.cfg.maxEntries {
		c.evictLocked()
	}
	e := &entry{key: key}
	e.used.Store(c.useTick())
	c.entries.Store(key, e)
	c.n++
	return e
}

func (c *Cache) useTick() int64 {
	if c.cfg.clock != nil {
		return c.cfg.clock().UnixNano()
	}
	return c.tick.Load()
}

// evictLocked makes room for one entry: it drops every idle entry whose
// token has expired or that holds none, or failing that the least recently
// used idle entry. It scans all entries, which is cheap beside the fetch
// that follows an insert. The caller holds c.mu.
func (c *Cache) evictLocked() {
	now := c.Now()
	var dead []*entry
	var oldest *entry
	c.entries.Range(func(_, v any) bool {
		e := v.(*entry)
		e.mu.Lock()
		idle := e.call == nil
		e.mu.Unlock()
		if !idle {
			return true
		}
		if it := e.cur.Load(); it == nil || c.phaseOf(it, now) == phaseExpired {
			dead = append(dead, e)
		} else if oldest == nil || e.used.Load() < oldest.used.Load() {
			oldest = e
		}
		return true
	})
	if len(dead) == 0 && oldest != nil {
		dead = append(dead, oldest)
	}
	for _, e := range dead {
		e.mu.Lock()
		if e.call == nil {
			e.evicted = true
			e.install(nil)
			c.entries.Delete(e.key)
			c.n--
			c.stats.evictions.inc()
		}
		e.mu.Unlock()
	}
}

// startFetch starts key's fetch in the background and records it as e.call.
// It returns nil if the cache is closed. The caller holds e.mu.
func (c *Cache) startFetch(ctx context.Context, e *entry, fetch FetchFunc) *call {
	c.life.RLock()
	defer c.life.RUnlock()
	if c.closed.Load() {
		return nil
	}
	cl := &call{done: make(chan struct{})}
	e.call = cl
	e.pending.Store(cl)
	// Keep the caller's values (trace ids and the like) but not its
	// cancellation: the fetch serves every caller of the key.
	parent := context.WithoutCancel(ctx)
	c.run(func() { c.runFetch(parent, e, cl, fetch) })
	return cl
}

// workerIdle is how long a fetch worker waits for more work before exiting.
const workerIdle = 30 * time.Second

// run hands job to an idle fetch worker, or starts one. Workers outlive a
// job for a while so that the next fetch runs on a goroutine whose stack
// has already grown to fit an HTTP call: a fresh goroutine re-grows its
// stack on every mint, which costs more than the mint's own bookkeeping.
// The caller holds c.life for reading.
func (c *Cache) run(job func()) {
	select {
	case c.jobs <- job:
		return
	default:
	}
	c.wg.Add(1)
	go c.worker(job)
}

func (c *Cache) worker(job func()) {
	defer c.wg.Done()
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		job()
		idle.Reset(workerIdle)
		select {
		case job = <-c.jobs:
		case <-idle.C:
			return
		case <-c.base.Done():
			return
		}
	}
}

func (c *Cache) runFetch(parent context.Context, e *entry, cl *call, fetch FetchFunc) {
	ctx, cancel := context.WithTimeout(parent, c.cfg.fetchTimeout)
	defer cancel()
	defer context.AfterFunc(c.base, cancel)()

	c.stats.fetches.inc()
	ent, err := c.obtain(ctx, e, fetch)
	now := c.Now()

	e.mu.Lock()
	if err == nil {
		it := newItem(ent.Token, ent.RefreshAt)
		if c.cfg.clock == nil && !c.closed.Load() {
			it.arm(now)
			c.startWatchdog()
		}
		e.install(it)
		e.failures, e.lastErr, e.backoffUntil = 0, nil, time.Time{}
		c.debug("token fetched", e.key, slog.Time("refresh_at", ent.RefreshAt), slog.Time("expires_at", ent.Token.ExpiresAt))
	} else if skipsBackoff(err) {
		c.stats.failures.inc()
		c.debug("token fetch failed; no backoff", e.key, slog.String("error", err.Error()))
	} else {
		c.stats.failures.inc()
		e.failures++
		wait := c.backoff(e.failures, err)
		e.lastErr, e.backoffUntil = err, now.Add(wait)
		c.warn("token fetch failed", e.key, slog.Int("failures", e.failures), slog.Duration("backoff", wait), slog.String("error", err.Error()))
	}
	cl.tok, cl.err = ent.Token, err
	e.call = nil
	e.pending.Store(nil)
	close(cl.done)
	e.mu.Unlock()
}

// obtain gets a token for e: from the Store when another process has
// published a fresh one, else from fetch (under the Store's refresh lock
// when there is a Store).
func (c *Cache) obtain(ctx context.Context, e *entry, fetch FetchFunc) (Entry, error) {
	if c.cfg.store == nil {
		return c.mint(ctx, fetch)
	}
	if ent, ok := c.loadShared(ctx, e); ok {
		return ent, nil
	}
	release, acquired, err := c.cfg.store.TryLock(ctx, e.key, c.cfg.fetchTimeout)
	switch {
	case err != nil:
		c.debug("store lock failed", e.key, slog.String("error", err.Error()))
	case acquired:
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			if err := release(rctx); err != nil {
				c.debug("store unlock failed", e.key, slog.String("error", err.Error()))
			}
		}()
		// Another process may have saved a token between our load and lock.
		if ent, ok := c.loadShared(ctx, e); ok {
			return ent, nil
		}
	default:
		if ent, ok := c.awaitShared(ctx, e); ok {
			return ent, nil
		}
	}
	ent, err := c.mint(ctx, fetch)
	if err == nil {
		if serr := c.cfg.store.Save(ctx, e.key, ent); serr != nil {
			c.debug("store save failed", e.key, slog.String("error", serr.Error()))
		}
	}
	return ent, err
}

// mint calls fetch and validates what it returns.
func (c *Cache) mint(ctx context.Context, fetch FetchFunc) (ent Entry, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("tokencache: fetch panicked: %v", r)
		}
	}()
	tok, err := fetch(ctx)
	if err != nil {
		return Entry{}, err
	}
	now := c.Now()
	switch {
	case tok.Value == "":
		return Entry{}, fmt.Errorf("%w: empty value", ErrInvalidToken)
	case !tok.ExpiresAt.After(now):
		return Entry{}, fmt.Errorf("%w: expires at %s, not after now (%s)",
			ErrInvalidToken, tok.ExpiresAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return Entry{Token: tok, RefreshAt: c.refreshAt(tok, now)}, nil
}

// refreshAt applies the early-expiry rule: m before ExpiresAt, or half the
// lifetime for tokens living less than 2m.
func (c *Cache) refreshAt(tok Token, now time.Time) time.Time {
	m := c.cfg.early
	if life := tok.ExpiresAt.Sub(now); life < 2*m {
		m = life / 2
	}
	return tok.ExpiresAt.Add(-m)
}

// loadShared returns the Store's entry for e if it is fresh and not the
// token this cache last invalidated.
func (c *Cache) loadShared(ctx context.Context, e *entry) (Entry, bool) {
	ent, ok, err := c.cfg.store.Load(ctx, e.key)
	if err != nil {
		c.debug("store load failed", e.key, slog.String("error", err.Error()))
		return Entry{}, false
	}
	if !ok || ent.Token.Value == "" || !c.Now().Before(ent.RefreshAt) || !ent.RefreshAt.Before(ent.Token.ExpiresAt) {
		return Entry{}, false
	}
	e.mu.Lock()
	rejected := e.rejected == ent.Token.Value
	e.mu.Unlock()
	if rejected {
		return Entry{}, false
	}
	c.stats.storeHits.inc()
	return ent, true
}

// awaitShared polls the Store while another process holds the refresh lock,
// for at most the lock wait.
func (c *Cache) awaitShared(ctx context.Context, e *entry) (Entry, bool) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.lockWait)
	defer cancel()
	wait := 10 * time.Millisecond
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return Entry{}, false
		case <-t.C:
		}
		if ent, ok := c.loadShared(ctx, e); ok {
			return ent, true
		}
		wait = min(2*wait, 200*time.Millisecond)
		t.Reset(wait)
	}
}

func skipsBackoff(err error) bool {
	var s BackoffSkipper
	return errors.As(err, &s) && s.SkipBackoff()
}

// backoff is how long key waits after its n-th consecutive failure.
func (c *Cache) backoff(n int, err error) time.Duration {
	d := c.cfg.maxBackoff
	if n < 32 {
		d = min(c.cfg.minBackoff<<(n-1), c.cfg.maxBackoff)
	}
	d = d/2 + rand.N(d/2+1)
	var h RetryHinter
	if errors.As(err, &h) {
		if ra := min(h.RetryAfterHint(), MaxRetryAfterHint); ra > d {
			d = ra
		}
	}
	return d
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

// Close stops the cache's background work: it cancels fetches in flight,
// waits for them and for the watchdog to return, and stops every timer.
// After Close, Get returns [ErrClosed]. Close is idempotent and always
// returns nil.
func (c *Cache) Close() error {
	c.life.Lock()
	already := c.closed.Swap(true)
	c.life.Unlock()
	if already {
		return nil
	}
	c.cancel()
	c.wg.Wait()
	c.entries.Range(func(_, v any) bool {
		e := v.(*entry)
		e.mu.Lock()
		e.cur.Load().disarm()
		e.mu.Unlock()
		return true
	})
	return nil
}

// startWatchdog starts, once, the goroutine that keeps the coarse LRU clock
// and re-checks token states against the wall clock. The caller holds some
// entry's mu, never c.life exclusively.
func (c *Cache) startWatchdog() {
	if c.watched.Load() || !c.watched.CompareAndSwap(false, true) {
		return
	}
	c.life.RLock()
	defer c.life.RUnlock()
	if c.closed.Load() {
		return
	}
	c.wg.Add(1)
	go c.watch()
}

// watch is the safety net for the timers that flip token states: Go's timers
// run on the monotonic clock, which stops while a machine is suspended, so
// after a resume a timer can fire long after the wall-clock time it stood
// for. Once a tick (default every second) it compares each token's times with
// the wall clock and moves any state the timers have not.
func (c *Cache) watch() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-c.base.Done():
			return
		case <-t.C:
			c.tick.Add(1)
			c.sweep(time.Now().Round(0)) // Round(0) drops the monotonic reading
		}
	}
}

func (c *Cache) sweep(wall time.Time) {
	c.entries.Range(func(_, v any) bool {
		if it := v.(*entry).cur.Load(); it != nil {
			it.advance(it.phaseAt(wall))
		}
		return true
	})
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
