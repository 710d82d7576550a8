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

	"github.com/puzpuzpuz/xsync/v4"
	"golang.org/x/sync/singleflight"

	"github.com/checkoutkit/checkoutkit/tokencache/internal/striped"
)

// Cache holds tokens by key. The zero value is not usable; create one with
// [New]. A Cache is safe for concurrent use, and one Cache may be shared by
// any number of provider clients: their keys never collide because each
// includes the provider and a hash of the credential.
type Cache struct {
	cfg config

	entries *xsync.Map[string, *item] // each key's entry's item (see item): lock-free reads on the hit path
	flights singleflight.Group        // one fetch per key

	mu   sync.Mutex // guards all, pick and every entry's idx; serialises inserts and evictions
	all  []*entry   // every entry in entries, for sampled eviction
	pick *rand.Rand // eviction samples

	life   sync.RWMutex // taken to start background work; Close takes it exclusively
	closed atomic.Bool
	base   context.Context // cancelled by Close; every fetch is bound to it
	cancel context.CancelFunc
	wg     sync.WaitGroup // flights, background refreshes and the watchdog

	obsMu       sync.RWMutex // guards obs
	obs         []Observer   // read only off the hit path
	obsPanicked atomic.Bool

	hits *striped.Counter // fresh hits
	stat counters         // every other counter
}

// Fetcher says how a key's token is minted and for which provider: what
// [Cache.GetWith] and [Cache.SourceWith] take where [Cache.Get] takes a bare
// FetchFunc.
type Fetcher struct {
	// Provider names the provider, for observers and log lines
	// ("cartevo"). It must not carry a credential or an id.
	Provider string

	// Fetch mints a token.
	Fetch FetchFunc

	// Check, if set, vets every token loaded from a Store before it is
	// served, as the provider vets a fresh mint (its lifetime ceiling, its
	// type, its binding to a customer): a token it refuses is a logged
	// Store miss, and the cache mints instead. The cache itself refuses,
	// minted or loaded, a token that is empty, already expired, larger
	// than [MaxTokenSize] or living longer than [MaxLifetime].
	Check func(Token) error

	// Fresh, if set, never serves a stale token (see [Cache.GetFresh]).
	Fresh bool
}

// New returns a Cache configured by opts. Call [Cache.Close] when done with
// it to stop its background work.
func New(opts ...Option) *Cache {
	c := &Cache{cfg: defaults(), entries: xsync.NewMap[string, *item](), hits: striped.New()}
	for _, o := range opts {
		if o != nil {
			o(&c.cfg)
		}
	}
	c.pick = rand.New(rand.NewPCG(c.cfg.seed, c.cfg.seed^0x9e3779b97f4a7c15))
	c.base, c.cancel = context.WithCancel(context.Background())
	c.obs = c.cfg.observers
	return c
}

// Now returns the time by the cache's clock: time.Now, or the function given
// to [WithClock]. Provider clients compute ExpiresAt from it.
func (c *Cache) Now() time.Time { return c.cfg.clock.Now() }

// now is the slow path's clock in Unix nanoseconds: never behind the
// hit path's, so that a state the hit path has seen never goes back.
func (c *Cache) now() int64 { return max(nanos(c.Now()), c.cfg.clock.tick()) }

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
// ExpiresAt (on the real clock, after a machine resumes from suspend, for at
// most the one second until the watchdog's next tick). After Close, and to
// callers waiting when Close is called, it returns [ErrClosed].
func (c *Cache) Get(ctx context.Context, key string, fetch FetchFunc) (Token, error) {
	return c.GetWith(ctx, key, Fetcher{Fetch: fetch})
}

// GetFresh is Get for tokens handed on to a browser or another party, which
// should arrive well before their expiry: a stale token is not served, the
// caller waits for the refresh instead (one fetch, shared as always). While
// the key is backing off after a failed fetch, a stale token is still
// served rather than an error.
func (c *Cache) GetFresh(ctx context.Context, key string, fetch FetchFunc) (Token, error) {
	return c.GetWith(ctx, key, Fetcher{Fetch: fetch, Fresh: true})
}

// GetWith is [Cache.Get] (or [Cache.GetFresh], with f.Fresh) with a
// Fetcher that names the provider and vets tokens loaded from a Store.
func (c *Cache) GetWith(ctx context.Context, key string, f Fetcher) (Token, error) {
	if it, ok := c.entries.Load(key); ok && it.hit(c.cfg.clock.tick()) {
		c.hits.Inc()
		return it.tok, nil
	}
	return c.get(ctx, key, f)
}

// get is the slow path of GetWith and Source.Token.
func (c *Cache) get(ctx context.Context, key string, f Fetcher) (Token, error) {
	switch {
	case c.closed.Load():
		return Token{}, ErrClosed
	case f.Fetch == nil:
		return Token{}, errors.New("tokencache: nil FetchFunc")
	case ctx == nil:
		return Token{}, errors.New("tokencache: nil ctx")
	}
	// A key with no entry goes straight to the flight, which creates it.
	if it, ok := c.entries.Load(key); ok {
		e, now := it.e, c.now()
		fl := e.backoff(now)
		// A use, whatever the answer: a key backing off is not idle.
		it.used.Store(c.cfg.clock.tick())
		switch { // a placeholder is neither fresh nor usable
		case it.fresh(now):
			c.hits.Inc()
			return it.tok, nil
		case it.usable(now) && (!f.Fresh || fl != nil):
			if fl == nil {
				c.refresh(ctx, e, key, f)
			}
			c.stat.staleHits.Add(1)
			return it.tok, nil
		case fl != nil:
			c.stat.misses.Add(1)
			return c.fallback(e, nil, backoffError(fl, now))
		}
	}
	c.stat.misses.Add(1)
	tok, err := c.await(ctx, key, f)
	if err == nil {
		// A flight that began before an Invalidate of its token (a 401 for
		// it) hands it to every caller; one more flight gets a caller a
		// token nobody has refused yet, or the last resort while backing
		// off. It is the same request: Stats counted it already.
		if it, ok := c.entries.Load(key); ok && it.e.isRejected(tok.Value) {
			return c.await(ctx, key, f)
		}
	}
	return tok, err
}

// await joins key's flight (starting it if need be) and waits for its
// result, for ctx to end or for the cache to close. The fetch runs on
// ctx's values without its cancellation: it serves every caller of the key.
// A caller still waiting when Close is called gets ErrClosed, even from a
// flight that answers with a token.
//
// A caller whose ctx can never end waits in singleflight's Do, which wakes
// every such waiter at once; the others need DoChan to stop waiting. Both
// join the same flight. BenchmarkColdHerd measures the two side by side
// (impl=tokencache and impl=tokencache-deadline): a select on ctx, the
// result and Close per waiter costs a large herd measurably more. A Do
// waiter meets Close when the flight returns, which Close's cancellation
// of the fetch's context brings about.
func (c *Cache) await(ctx context.Context, key string, f Fetcher) (Token, error) {
	me, parent := new(byte), context.WithoutCancel(ctx)
	fly := func() (any, error) { return c.fly(parent, me, key, f, false) }
	var v any
	var err error
	if ctx.Done() == nil {
		v, err, _ = c.flights.Do(key, fly)
	} else {
		select {
		case r := <-c.flights.DoChan(key, fly):
			v, err = r.Val, r.Err
		case <-ctx.Done():
			return Token{}, ctx.Err()
		case <-c.base.Done():
			return Token{}, ErrClosed
		}
	}
	if c.closed.Load() {
		return Token{}, ErrClosed
	}
	// fly always answers with a *flight. A fetch calling runtime.Goexit
	// never gets here: Do's waiters exit with it, and DoChan never answers.
	fl := v.(*flight)
	if fl.obsCtx != nil && fl.leader != me {
		c.observe(func(o Observer) { o.FetchJoin(ctx, fl.obsCtx) })
	}
	if err != nil {
		return Token{}, err
	}
	return fl.tok, nil
}

// refresh starts one background refresh of e's stale token, unless one is
// under way: the stale token keeps being served meanwhile, and a stale
// read costs one load of the flag, not a call into singleflight. The
// flight clears the flag as it ends; so does the refresh once that flight
// has answered, for a refresh that joined a flight just ending.
func (c *Cache) refresh(ctx context.Context, e *entry, key string, f Fetcher) {
	if e.refreshing.Load() || !e.refreshing.CompareAndSwap(false, true) {
		return
	}
	if !c.enter() {
		e.refreshing.Store(false)
		return
	}
	parent := context.WithoutCancel(ctx)
	go func() {
		defer c.wg.Done()
		defer e.refreshing.Store(false)
		_, _, _ = c.flights.Do(key, func() (any, error) { return c.fly(parent, nil, key, f, true) })
	}()
}

func backoffError(f *fail, now int64) error {
	left := time.Duration(f.until - now).Round(time.Millisecond)
	return fmt.Errorf("%w (%s left): %w", ErrBackoff, left, f.err)
}

// Invalidate drops the token cached for key if it is still the one given
// (compared by Value), typically after the provider answered 401 to a
// request made with it. The parameter is the rejected token, whatever its
// state. If the cache already holds another token, Invalidate does
// nothing, so any number of concurrent 401s for one token lead to one
// refresh. The next Get fetches a new token; if that fetch fails, Get
// serves the dropped token as a last resort (never past its expiry) while
// the key backs off, so that requests which still accept it keep working.
// With a Store, the token is also deleted there (compare-and-delete) and
// never reloaded from it.
func (c *Cache) Invalidate(key string, rejected Token) {
	if rejected.Value == "" {
		return
	}
	shown, ok := c.entries.Load(key)
	if !ok {
		c.deleteShared(&entry{key: key}, rejected)
		return
	}
	e := shown.e
	e.mu.Lock()
	it := e.token()
	held := it != nil && it.tok.Value == rejected.Value
	// A late 401 for an older token, or another for the one already
	// dropped, changes nothing.
	if it != nil && !held || it == nil && e.isRejected(rejected.Value) {
		e.mu.Unlock()
		return
	}
	if held { // the fallback first: a reader that sees the token gone sees it
		e.fallback.Store(it)
		c.publish(e, nil)
	}
	e.rejected.Store(&rejected.Value)
	e.mu.Unlock()
	if held {
		c.event(e, EventInvalidate, "", 0, nil)
	}
	c.deleteShared(e, rejected)
}

// Close stops the cache's background work: it cancels fetches in flight and
// waits for them, for background refreshes and for the watchdog to return.
// Callers waiting for a fetch get [ErrClosed]: at once if their context
// can end, else as soon as the fetch returns (its context is cancelled),
// even if it returns a token. So does every later Get. Close then drops
// every entry (Stats reports 0), so that a closed cache still referenced,
// by a Source or a meter provider's callback, holds no token. Close is
// idempotent and always returns nil.
func (c *Cache) Close() error {
	c.life.Lock()
	already := c.closed.Swap(true)
	c.life.Unlock()
	if already {
		return nil
	}
	c.cancel()
	c.wg.Wait()
	// Flights have ended and no new one starts: drop every entry, as
	// eviction does, which frees the tokens (the last resort too) and
	// sends every later read (a Source's too) to the slow path, where it
	// meets ErrClosed.
	c.mu.Lock()
	c.entries.Clear()
	for _, e := range c.all {
		e.mu.Lock() // after an Invalidate still setting its last resort aside
		e.it.Store(evicted)
		e.fallback.Store(nil)
		e.rejected.Store(nil)
		e.mu.Unlock()
	}
	c.all = nil
	c.mu.Unlock()
	return nil
}

// enter registers work that Close must wait for, unless the cache is
// closed, in which case it reports false. The caller ends it with
// c.wg.Done.
func (c *Cache) enter() bool {
	c.life.RLock()
	defer c.life.RUnlock()
	if c.closed.Load() {
		return false
	}
	c.wg.Add(1)
	return true
}

func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:6])
}

// log logs msg with attrs, and with e's provider and key hash if e is not nil.
func (c *Cache) log(level slog.Level, msg string, e *entry, attrs ...slog.Attr) {
	l := c.cfg.logger
	if l == nil || !l.Enabled(context.Background(), level) {
		return
	}
	if e != nil {
		attrs = append(attrs, slog.String("provider", e.provider), slog.String("key_hash", keyHash(e.key)))
	}
	l.LogAttrs(context.Background(), level, msg, attrs...)
}
