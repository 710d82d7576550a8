package tokencache

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// flight is what a key's flight hands each of its callers.
type flight struct {
	tok    Token
	leader *byte           // identifies the caller that started the flight (nil: a background refresh)
	obsCtx context.Context // the fetch's context as observers saw it; nil without observers
}

// fly is the body of key's single flight: it resolves the key's entry again
// (an entry a caller saw may have been evicted since) and runs attempt on
// it. leader is the caller that started it (nil for a background refresh).
func (c *Cache) fly(parent context.Context, leader *byte, key string, f Fetcher, refresh bool) (any, error) {
	fl := &flight{leader: leader}
	if !c.enter() {
		return fl, ErrClosed
	}
	defer c.wg.Done()
	e, evicted := c.pin(key, f.Provider)
	defer e.flying.Add(-1)
	// However it ends (a fetch calling runtime.Goexit included), a flight
	// for the key leaves no background refresh pending on it.
	defer e.refreshing.Store(false)
	// Observers hear of evictions only now that the entry's unpinning is
	// deferred: an observer calling Goexit cannot leave it pinned.
	for _, v := range evicted {
		c.event(v, EventEviction, "", 0, nil)
	}
	var err error
	fl.tok, err = c.attempt(parent, e, fl, f, refresh)
	return fl, err
}

// attempt is the body of a flight: it serves a token or a backoff that an
// earlier flight left (a herd arriving just after it ended must not fetch
// again), and otherwise fetches and records the outcome.
func (c *Cache) attempt(parent context.Context, e *entry, fl *flight, f Fetcher, refresh bool) (Token, error) {
	now := c.now()
	it := e.token()
	if it != nil && it.fresh(now) {
		return it.tok, nil
	}
	if fl := e.backoff(now); fl != nil {
		return c.fallback(e, it, backoffError(fl, now))
	}
	info := FetchInfo{Provider: e.provider, Reason: e.reason(it, now, refresh)}
	obsCtx, end := c.fetchStart(parent, e.key, info)
	fl.obsCtx = obsCtx
	ctx, cancel := context.WithTimeout(cmp.Or(obsCtx, parent), c.cfg.fetchTimeout)
	defer cancel()
	defer context.AfterFunc(c.base, cancel)()

	start := time.Now()
	ent, source, err := c.obtain(ctx, e, f)
	switch {
	case c.base.Err() != nil: // Close began: no token is installed or handed out now
		err = ErrClosed
	case err == nil: // a slow Store (Save, the lock's release) may have outlasted the token
		err = valid(ent.Token, c.Now())
	}
	res := FetchResult{Source: source, Duration: time.Since(start), Err: err}
	if err == nil {
		if source == SourceStore {
			c.stat.storeHits.Add(1)
		} else {
			c.stat.mints.Add(1)
		}
		res.Lifetime = ent.Token.ExpiresAt.Sub(c.Now())
		c.cfg.clock.start(c)
		c.install(e, newItem(e, ent.Token, ent.RefreshAt, c.ahead()), source == SourceStore)
		e.fail.Store(nil)
		end(res)
		c.log(slog.LevelDebug, "token fetched", e, slog.String("source", source),
			slog.Time("refresh_at", ent.RefreshAt), slog.Time("expires_at", ent.Token.ExpiresAt))
		return ent.Token, nil
	}
	c.stat.failures.Add(1)
	end(res)
	var s BackoffSkipper
	switch {
	case errors.Is(err, ErrClosed):
		return Token{}, err
	case !refresh && errors.As(err, &s) && s.SkipBackoff(): // a refresh has no caller to tell: it backs off
		c.log(slog.LevelDebug, "token fetch failed; no backoff", e, slog.String("error", err.Error()))
	default:
		n := 1
		if last := e.fail.Load(); last != nil {
			n = last.n + 1
		}
		wait := c.backoff(n, err)
		e.fail.Store(&fail{n: n, err: err, until: sat(c.now(), int64(wait))})
		c.event(e, EventBackoff, "", wait, err)
		c.log(slog.LevelWarn, "token fetch failed", e, slog.Int("failures", n),
			slog.Duration("backoff", wait), slog.String("error", err.Error()))
	}
	return c.fallback(e, it, err)
}

// ahead is how far the hit path's clock reading runs ahead of the clock
// (after the wall clock stepped back), never negative.
func (c *Cache) ahead() int64 {
	return max(0, c.cfg.clock.tick()-nanos(c.Now()))
}

// fallback is what a flight that has no new token hands its callers: the
// key's token while it is still usable (a stale one, even to GetFresh's
// callers: better than an error), else the token Invalidate dropped while
// it is usable, else err.
func (c *Cache) fallback(e *entry, it *item, err error) (Token, error) {
	now := c.now()
	if it == nil || !it.usable(now) {
		if it = e.lastResort(now); it == nil {
			return Token{}, err
		}
	}
	return it.tok, nil
}

// obtain gets a token for e: from the Store when another process has
// published a fresh one, else from fetch (under the Store's refresh lock
// when there is a Store). It reports where the token came from.
func (c *Cache) obtain(ctx context.Context, e *entry, f Fetcher) (Entry, string, error) {
	st := c.cfg.store
	if st != nil {
		if ent, ok, _ := c.loadShared(ctx, e, f); ok {
			return ent, SourceStore, nil
		}
		var release func(context.Context) error
		var acquired bool
		err := c.storeOp(e, OpLock, func() (err error) {
			release, acquired, err = st.TryLock(ctx, e.key, c.cfg.fetchTimeout)
			return err
		})
		if acquired {
			defer func() {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
				defer cancel()
				_ = c.storeOp(e, OpLock, func() error { return release(rctx) })
			}()
		}
		switch {
		case err != nil: // a Store in trouble: mint without waiting on it
		case acquired:
			// Another process may have saved a token between our load and lock.
			if ent, ok, _ := c.loadShared(ctx, e, f); ok {
				return ent, SourceStore, nil
			}
		default:
			if ent, ok := c.awaitShared(ctx, e, f); ok {
				return ent, SourceStore, nil
			}
		}
	}
	ent, err := c.mint(ctx, f.Fetch)
	if err == nil && st != nil {
		_ = c.storeOp(e, OpSave, func() error { return st.Save(ctx, e.key, ent) })
	}
	return ent, SourceProvider, err
}

// storeOp runs one Store operation, logs its failure and tells observers.
// A Store that panics fails the operation, never the Get.
func (c *Cache) storeOp(e *entry, op string, do func() error) error {
	start := time.Now()
	err := safely("store "+op, do)
	if err != nil {
		c.log(slog.LevelDebug, "store "+op+" failed", e, slog.String("error", err.Error()))
	}
	c.event(e, EventStore, op, time.Since(start), err)
	return err
}

// safely runs f, turning a panic into an error that names what panicked.
func safely(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("tokencache: %s panicked: %v", what, r)
		}
	}()
	return f()
}

// mint calls fetch and validates what it returns. A fetch that panics is a
// failed fetch.
func (c *Cache) mint(ctx context.Context, fetch FetchFunc) (Entry, error) {
	var tok Token
	err := safely("fetch", func() (err error) { tok, err = fetch(ctx); return err })
	now := c.Now()
	if err == nil {
		err = valid(tok, now)
	}
	if err != nil {
		return Entry{}, err
	}
	return Entry{Token: tok, RefreshAt: c.refreshAt(tok, now)}, nil
}

// valid is what every token passes, minted or loaded from a Store.
func valid(tok Token, now time.Time) error {
	size := len(tok.Value) + len(tok.Type)
	for k, v := range tok.Extra {
		size += len(k) + len(v)
	}
	exp := func() string { return tok.ExpiresAt.UTC().Format(time.RFC3339) } // only for an error
	switch {
	case tok.Value == "":
		return fmt.Errorf("%w: empty value", ErrInvalidToken)
	case size > MaxTokenSize:
		return fmt.Errorf("%w: %d bytes, above the %d-byte limit", ErrInvalidToken, size, MaxTokenSize)
	case !tok.ExpiresAt.After(now):
		return fmt.Errorf("%w: expires at %s, not after now (%s)", ErrInvalidToken, exp(), now.UTC().Format(time.RFC3339))
	case tok.ExpiresAt.Sub(now) > MaxLifetime:
		return fmt.Errorf("%w: expires at %s, beyond the %s ceiling", ErrInvalidToken, exp(), MaxLifetime)
	}
	return nil
}

// refreshAt applies the early-expiry rule: m (at least the safety margin)
// before ExpiresAt, or half the lifetime for tokens living less than 2m;
// then moves it earlier by a random fraction (up to the jitter) of m, so
// that replicas minting at the same moment do not all refresh in the same
// second. Earlier, never later: the token still has at least m left when it
// turns stale, and the safety margin is untouched.
func (c *Cache) refreshAt(tok Token, now time.Time) time.Time {
	m := min(max(c.cfg.early, safetyMargin), tok.ExpiresAt.Sub(now)/2)
	m += time.Duration(rand.Float64() * c.cfg.jitter * float64(m))
	return tok.ExpiresAt.Add(-m)
}

// loadShared returns the Store's entry for e if it is fresh, passes every
// check a fresh mint passes (valid and f.Check), and is not the token this
// cache last invalidated; and the Store's error if it failed.
func (c *Cache) loadShared(ctx context.Context, e *entry, f Fetcher) (Entry, bool, error) {
	var ent Entry
	var ok bool
	err := c.storeOp(e, OpLoad, func() (err error) {
		ent, ok, err = c.cfg.store.Load(ctx, e.key)
		return err
	})
	now := c.Now()
	if err != nil || !ok || !now.Before(ent.RefreshAt) {
		return Entry{}, false, err
	}
	verr := valid(ent.Token, now)
	if m := ent.Token.ExpiresAt.Sub(ent.RefreshAt); verr == nil && m < min(safetyMargin, ent.Token.ExpiresAt.Sub(now)/2) {
		// No cache writes this (refreshAt keeps at least as much): it would
		// keep the token fresh into the safety margin of its expiry.
		verr = fmt.Errorf("%w: fresh until %s before its expiry, inside the safety margin", ErrInvalidToken, m)
	}
	if verr == nil && f.Check != nil {
		verr = safely("check", func() error { return f.Check(ent.Token) })
	}
	if verr != nil {
		c.log(slog.LevelWarn, "store entry refused", e, slog.String("error", verr.Error()))
	}
	return ent, verr == nil && !e.isRejected(ent.Token.Value), nil
}

// awaitShared polls the Store while another process holds the refresh lock,
// for at most the lock wait, and never more than half the fetch timeout, so
// that a mint has time left. The first Store error ends the wait: the
// caller mints itself rather than spend the wait on a Store in trouble.
func (c *Cache) awaitShared(ctx context.Context, e *entry, f Fetcher) (Entry, bool) {
	ctx, cancel := context.WithTimeout(ctx, min(c.cfg.lockWait, c.cfg.fetchTimeout/2))
	defer cancel()
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		select {
		case <-ctx.Done():
			return Entry{}, false
		case <-time.After(wait):
		}
		if ent, ok, err := c.loadShared(ctx, e, f); ok || err != nil {
			return ent, ok
		}
	}
}

// deleteShared deletes tok, which Invalidate dropped, from the Store.
func (c *Cache) deleteShared(e *entry, tok Token) {
	if c.cfg.store == nil || c.closed.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(c.base, 2*time.Second)
	defer cancel()
	_ = c.storeOp(e, OpDelete, func() error { return c.cfg.store.Delete(ctx, e.key, tok) })
}

// backoff is how long a key waits after its n-th consecutive failure.
func (c *Cache) backoff(n int, err error) time.Duration {
	d := c.cfg.maxBackoff
	if c.cfg.minBackoff <= c.cfg.maxBackoff>>(n-1) { // no overflow: min<<(n-1) <= max
		d = c.cfg.minBackoff << (n - 1)
	}
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	var h RetryHinter
	if errors.As(err, &h) {
		d = max(d, min(h.RetryAfterHint(), MaxRetryAfterHint))
	}
	return d
}
