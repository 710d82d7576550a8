package tokencache

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Observer is told what a [Cache] does, for metrics and traces (package
// checkoutkitotel implements one for OpenTelemetry). Attach observers with
// [WithObserver] or [Cache.AddObserver]; several may be attached.
//
// A hit is never observed: observers are called only on the slow path, on
// the goroutine doing the work, outside every lock of the cache. They must
// be safe for concurrent use and should return quickly. A panicking
// observer is recovered, and the first panic is logged (see [WithLogger]).
// Observers never see a key, a token or a credential: events name the
// provider and a short hash of the key. Embed [NopObserver] to implement
// only some methods.
type Observer interface {
	// FetchStart is called as a fetch for a key begins, on the goroutine
	// that runs it. ctx carries the values of the caller that started it
	// (not its cancellation); the context returned is the one the fetch
	// runs with, so that a span started here parents the provider's HTTP
	// requests. Return ctx itself to add nothing.
	FetchStart(ctx context.Context, f FetchInfo) context.Context

	// FetchEnd is called when that fetch ends, with the context
	// FetchStart returned.
	FetchEnd(ctx context.Context, f FetchInfo, r FetchResult)

	// FetchJoin is called for a caller that waited on a fetch another
	// caller started, once it has the result: ctx is the waiter's, fetch
	// the fetch's (as FetchStart returned it).
	FetchJoin(ctx, fetch context.Context)

	// Event is called for everything else: a backoff starting, an
	// eviction, an invalidation, a Store operation.
	Event(e Event)
}

// NopObserver implements [Observer] by doing nothing. Embed it in an
// observer that needs only some of the methods.
type NopObserver struct{}

// FetchStart returns ctx.
func (NopObserver) FetchStart(ctx context.Context, _ FetchInfo) context.Context { return ctx }

// FetchEnd does nothing.
func (NopObserver) FetchEnd(context.Context, FetchInfo, FetchResult) {}

// FetchJoin does nothing.
func (NopObserver) FetchJoin(_, _ context.Context) {}

// Event does nothing.
func (NopObserver) Event(Event) {}

// The values of [FetchInfo.Reason] (why a fetch runs), [FetchResult.Source]
// (where its token came from), [Event.Kind] and [Event.Op].
const (
	ReasonMissing     = "missing"     // the key had no token
	ReasonStale       = "stale"       // a refresh ahead of expiry (in the background, or for GetFresh's callers)
	ReasonExpired     = "expired"     // the token is past its safety margin
	ReasonInvalidated = "invalidated" // the token was dropped by Invalidate (a 401)

	SourceProvider = "provider" // the FetchFunc minted it
	SourceStore    = "store"    // another process published it in the Store

	EventBackoff    = "backoff"    // a key starts backing off after a failed fetch
	EventEviction   = "eviction"   // an entry was dropped to respect the bound
	EventInvalidate = "invalidate" // Invalidate dropped a token
	EventStore      = "store"      // a Store operation; Op says which

	OpLoad   = "load"   // Store.Load
	OpSave   = "save"   // Store.Save
	OpLock   = "lock"   // Store.TryLock or its release
	OpDelete = "delete" // Store.Delete
)

// FetchInfo describes one fetch.
type FetchInfo struct {
	Provider string // as the first [Fetcher] for the key named it; "" for a plain FetchFunc
	KeyHash  string // a short hash of the key, never the key
	Reason   string // ReasonMissing, ReasonStale, ReasonExpired or ReasonInvalidated
}

// FetchResult is how a fetch ended.
type FetchResult struct {
	Source   string        // SourceProvider or SourceStore
	Duration time.Duration // how long the fetch took
	Lifetime time.Duration // what the new token has left (ExpiresAt − now); 0 on failure
	Err      error         // nil on success
}

// Event is a backoff, an eviction, an invalidation or a Store operation.
type Event struct {
	Kind     string        // EventBackoff, EventEviction, EventInvalidate or EventStore
	Provider string        // the key's provider, if known
	KeyHash  string        // a short hash of the key
	Op       string        // for EventStore: OpLoad, OpSave, OpLock or OpDelete
	Duration time.Duration // for EventStore: how long the operation took; for EventBackoff: how long the key waits
	Err      error         // for EventStore and EventBackoff: the error, if any
}

// AddObserver attaches o to the cache, as [WithObserver] does at New. It
// is safe to call at any time; fetches already under way may not see o.
func (c *Cache) AddObserver(o Observer) {
	if o != nil {
		c.obsMu.Lock()
		c.obs = append(c.obs[:len(c.obs):len(c.obs)], o)
		c.obsMu.Unlock()
	}
}

func (c *Cache) observers() []Observer {
	c.obsMu.RLock()
	defer c.obsMu.RUnlock()
	return c.obs
}

// observe calls f on each observer, recovering a panic.
func (c *Cache) observe(f func(Observer)) {
	for _, o := range c.observers() {
		c.safe(func() { f(o) })
	}
}

// safe runs f, recovering a panic, which is logged once per cache.
func (c *Cache) safe(f func()) {
	defer func() {
		if r := recover(); r != nil && !c.obsPanicked.Swap(true) {
			c.log(slog.LevelError, "observer panicked", nil, slog.String("panic", fmt.Sprint(r)))
		}
	}()
	f()
}

// fetchStart tells the observers a fetch begins, each given the context the
// one before returned (nil counts as unchanged). It returns the last
// context returned, which the fetch runs with (nil without observers), and
// the function that tells the same observers the fetch ended, each with
// the context it returned (an observer added meanwhile is not told).
func (c *Cache) fetchStart(parent context.Context, key string, info FetchInfo) (context.Context, func(FetchResult)) {
	obs := c.observers()
	if len(obs) == 0 {
		return nil, func(FetchResult) {}
	}
	fi := info // a copy, so that info stays on the stack when there are no observers
	fi.KeyHash = keyHash(key)
	ctxs := make([]context.Context, len(obs))
	ctx := parent
	for i, o := range obs {
		c.safe(func() { ctx = cmp.Or(o.FetchStart(ctx, fi), ctx) })
		ctxs[i] = ctx
	}
	return ctx, func(res FetchResult) {
		for i, o := range obs {
			c.safe(func() { o.FetchEnd(ctxs[i], fi, res) })
		}
	}
}

func (c *Cache) event(e *entry, kind, op string, d time.Duration, err error) {
	if len(c.observers()) == 0 {
		return
	}
	ev := Event{Kind: kind, Provider: e.provider, KeyHash: keyHash(e.key), Op: op, Duration: d, Err: err}
	c.observe(func(o Observer) { o.Event(ev) })
}
