package tokencache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/singleflight"
)

// flight joins key's fetch in flight, or starts it. The fetch runs on ctx's
// values without its cancellation: it serves every caller of the key.
func (c *Cache) flight(ctx context.Context, key string, fetch FetchFunc) <-chan singleflight.Result {
	parent := context.WithoutCancel(ctx)
	return c.flights.DoChan(key, func() (any, error) { return c.fly(parent, key, fetch) })
}

// refresh starts one background refresh of e's stale token, unless one is
// under way.
func (c *Cache) refresh(ctx context.Context, e *entry, key string, fetch FetchFunc) {
	if e.refreshing.Load() || !e.refreshing.CompareAndSwap(false, true) {
		return
	}
	parent := context.WithoutCancel(ctx)
	// The flag is cleared once the flight this refresh joined has ended, not
	// when some flight does: a refresh that joins a flight just ending must
	// not leave the flag set for good.
	if !c.goBackground(func() {
		_, _, _ = c.flights.Do(key, func() (any, error) { return c.fly(parent, key, fetch) })
		e.refreshing.Store(false)
	}) {
		e.refreshing.Store(false)
	}
}

// fly is the body of key's single flight: it resolves the key's entry again
// (an entry a caller saw may have been evicted since), serves a token or a
// backoff that an earlier flight left (a herd arriving just after it
// ended must not fetch again), and otherwise fetches and records the
// outcome.
func (c *Cache) fly(parent context.Context, key string, fetch FetchFunc) (any, error) {
	c.life.RLock()
	if c.closed.Load() {
		c.life.RUnlock()
		return Token{}, ErrClosed
	}
	c.wg.Add(1)
	c.life.RUnlock()
	defer c.wg.Done()

	e := c.pin(key)
	defer e.flying.Add(-1)

	now := c.Now()
	if it := e.cur.Load(); it != nil && c.phaseOf(it, now) == phaseFresh {
		return it.tok, nil
	}
	if f := e.fail.Load(); f != nil && now.Before(f.until) {
		return Token{}, backoffError(f, now)
	}

	ctx, cancel := context.WithTimeout(parent, c.cfg.fetchTimeout)
	defer cancel()
	defer context.AfterFunc(c.base, cancel)()

	c.stat.fetches.inc()
	ent, err := c.obtain(ctx, e, fetch)
	if err != nil && c.base.Err() != nil {
		return Token{}, ErrClosed
	}
	now = c.Now()
	if err == nil {
		if c.cfg.clock == nil {
			c.advanceCoarse(nanos(now))
			c.startWatchdog()
		}
		e.mu.Lock()
		e.install(newItem(ent.Token, ent.RefreshAt))
		e.mu.Unlock()
		e.fail.Store(nil)
		c.debug("token fetched", key, slog.Time("refresh_at", ent.RefreshAt), slog.Time("expires_at", ent.Token.ExpiresAt))
		return ent.Token, nil
	}
	c.stat.failures.inc()
	if skipsBackoff(err) {
		c.debug("token fetch failed; no backoff", key, slog.String("error", err.Error()))
		return Token{}, err
	}
	n := 1
	if f := e.fail.Load(); f != nil {
		n = f.n + 1
	}
	wait := c.backoff(n, err)
	e.fail.Store(&fail{n: n, err: err, until: now.Add(wait)})
	c.warn("token fetch failed", key, slog.Int("failures", n), slog.Duration("backoff", wait), slog.String("error", err.Error()))
	return Token{}, err
}

// obtain gets a token for e: from the Store when another process has
// published a fresh one, else from fetch (under the Store's refresh lock
// when there is a Store).
func (c *Cache) obtain(ctx context.Context, e *entry, fetch FetchFunc) (Entry, error) {
	if c.cfg.store == nil {
		return c.mint(ctx, fetch)
	}
	if ent, ok, _ := c.loadShared(ctx, e); ok {
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
		if ent, ok, _ := c.loadShared(ctx, e); ok {
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
// lifetime for tokens living less than 2m; then moves it earlier by a
// random fraction (up to the jitter) of m, so that replicas minting at the
// same moment do not all refresh in the same second. Earlier, never later:
// the token still has at least m left when it turns stale, and the safety
// margin is untouched.
func (c *Cache) refreshAt(tok Token, now time.Time) time.Time {
	m := c.cfg.early
	if life := tok.ExpiresAt.Sub(now); life < 2*m {
		m = life / 2
	}
	if c.cfg.jitter > 0 && m > 0 {
		c.rndM.Lock()
		u := c.rnd.Float64()
		c.rndM.Unlock()
		m += time.Duration(u * c.cfg.jitter * float64(m))
	}
	return tok.ExpiresAt.Add(-m)
}

// loadShared returns the Store's entry for e if it is fresh and not the
// token this cache last invalidated, and the Store's error if it failed.
func (c *Cache) loadShared(ctx context.Context, e *entry) (Entry, bool, error) {
	ent, ok, err := c.cfg.store.Load(ctx, e.key)
	if err != nil {
		c.debug("store load failed", e.key, slog.String("error", err.Error()))
		return Entry{}, false, err
	}
	if !ok || ent.Token.Value == "" || !c.Now().Before(ent.RefreshAt) || !ent.RefreshAt.Before(ent.Token.ExpiresAt) {
		return Entry{}, false, nil
	}
	e.mu.Lock()
	rejected := e.rejected == ent.Token.Value
	e.mu.Unlock()
	if rejected {
		return Entry{}, false, nil
	}
	c.stat.storeHits.inc()
	return ent, true, nil
}

// awaitShared polls the Store while another process holds the refresh lock,
// for at most the lock wait. The first Store error ends the wait: the
// caller mints itself rather than spend the wait on a Store in trouble.
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
		ent, ok, err := c.loadShared(ctx, e)
		if ok || err != nil {
			return ent, ok
		}
		wait = min(2*wait, 200*time.Millisecond)
		t.Reset(wait)
	}
}

func skipsBackoff(err error) bool {
	var s BackoffSkipper
	return errors.As(err, &s) && s.SkipBackoff()
}

// backoff is how long a key waits after its n-th consecutive failure.
func (c *Cache) backoff(n int, err error) time.Duration {
	d := c.cfg.maxBackoff
	if n < 32 {
		d = min(c.cfg.minBackoff<<(n-1), c.cfg.maxBackoff)
	}
	c.rndM.Lock()
	d = d/2 + time.Duration(c.rnd.Int64N(int64(d/2)+1))
	c.rndM.Unlock()
	var h RetryHinter
	if errors.As(err, &h) {
		if ra := min(h.RetryAfterHint(), MaxRetryAfterHint); ra > d {
			d = ra
		}
	}
	return d
}
