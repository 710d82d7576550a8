package tokencache

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu     sync.Mutex
	starts []FetchInfo
	ends   []FetchResult
	joins  int
	events []Event
}

// Each recorder keys its context value by itself, so that two recorders
// can tell their own context from the other's.
func (r *recorder) FetchStart(ctx context.Context, f FetchInfo) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts = append(r.starts, f)
	return context.WithValue(ctx, r, len(r.starts))
}

func (r *recorder) FetchEnd(ctx context.Context, f FetchInfo, res FetchResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ctx.Value(r) != len(r.starts) {
		panic("FetchEnd did not get this observer's FetchStart context")
	}
	r.ends = append(r.ends, res)
}

func (r *recorder) FetchJoin(ctx, fetch context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if fetch.Value(r) == nil {
		panic("FetchJoin without the fetch's context")
	}
	r.joins++
}

func (r *recorder) Event(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) reasons() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.starts {
		out = append(out, s.Reason)
	}
	return out
}

func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Kind+"/"+e.Op)
	}
	return out
}

func TestObserverSeesEveryReason(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		c, clk := newTestCache(t, WithObserver(rec))
		m := &minter{now: clk.Now, life: time.Hour}
		f := Fetcher{Provider: "cartevo", Fetch: m.fetch}
		tok, err := c.GetWith(bg, "cartevo:secret-key", f)
		require.NoError(t, err)
		for range 10 { // hits are not observed
			_, err = c.GetWith(bg, "cartevo:secret-key", f)
			require.NoError(t, err)
		}
		require.Len(t, rec.starts, 1)

		clk.Add(56 * time.Minute) // stale: a background refresh
		_, err = c.GetWith(bg, "cartevo:secret-key", f)
		require.NoError(t, err)
		synctest.Wait()
		clk.Add(2 * time.Hour) // expired: callers wait
		tok, err = c.GetWith(bg, "cartevo:secret-key", f)
		require.NoError(t, err)
		c.Invalidate("cartevo:secret-key", tok) // a 401
		_, err = c.GetWith(bg, "cartevo:secret-key", f)
		require.NoError(t, err)

		assert.Equal(t, []string{ReasonMissing, ReasonStale, ReasonExpired, ReasonInvalidated}, rec.reasons())
		for _, s := range rec.starts {
			assert.Equal(t, "cartevo", s.Provider)
			assert.Equal(t, keyHash("cartevo:secret-key"), s.KeyHash)
		}
		require.Len(t, rec.ends, 4)
		for _, e := range rec.ends {
			assert.Equal(t, SourceProvider, e.Source)
			assert.NoError(t, e.Err)
			assert.InDelta(t, time.Hour, e.Lifetime, float64(time.Second))
		}
		assert.Equal(t, []string{EventInvalidate + "/"}, rec.kinds())
	})
}

func TestObserverSeesFailuresBackoffAndEvictions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		c, clk := newTestCache(t, WithMaxEntries(1))
		c.AddObserver(rec) // after New
		m := &minter{now: clk.Now, life: time.Hour, err: errUpstream}
		_, err := c.GetWith(bg, "a", Fetcher{Provider: "crovver", Fetch: m.fetch})
		require.ErrorIs(t, err, errUpstream)
		require.Len(t, rec.ends, 1)
		assert.ErrorIs(t, rec.ends[0].Err, errUpstream)
		assert.Zero(t, rec.ends[0].Lifetime)
		require.Len(t, rec.events, 1)
		assert.Equal(t, EventBackoff, rec.events[0].Kind)
		assert.Equal(t, "crovver", rec.events[0].Provider)
		assert.Positive(t, rec.events[0].Duration)

		m.err = nil
		_, err = c.GetWith(bg, "b", Fetcher{Provider: "crovver", Fetch: m.fetch})
		require.NoError(t, err)
		assert.Equal(t, []string{EventBackoff + "/", EventEviction + "/"}, rec.kinds())
		assert.Equal(t, keyHash("a"), rec.events[1].KeyHash)
	})
}

func TestObserverSeesStoreOperationsAndSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		ra, rb := &recorder{}, &recorder{}
		a, clk := newTestCache(t, WithStore(st), WithObserver(ra))
		b, _ := newTestCache(t, WithStore(st), WithObserver(rb))
		m := &minter{now: clk.Now, life: time.Hour}
		f := Fetcher{Provider: "altpay", Fetch: m.fetch}
		_, err := a.GetWith(bg, "k", f)
		require.NoError(t, err)
		_, err = b.GetWith(bg, "k", f)
		require.NoError(t, err)
		assert.Equal(t, []string{"store/load", "store/lock", "store/load", "store/save", "store/lock"}, ra.kinds())
		assert.Equal(t, SourceProvider, ra.ends[0].Source)
		assert.Equal(t, []string{"store/load"}, rb.kinds())
		assert.Equal(t, SourceStore, rb.ends[0].Source)

		st.fail.Store(true)
		clk.Add(2 * time.Hour)
		_, err = b.GetWith(bg, "k", f)
		require.NoError(t, err, "a Store in trouble fails no Get")
		rb.mu.Lock()
		defer rb.mu.Unlock()
		last := rb.events[len(rb.events)-1]
		assert.Equal(t, OpSave, last.Op)
		assert.ErrorIs(t, last.Err, errStore)
	})
}

func TestObserverJoinsWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		c, clk := newTestCache(t, WithObserver(rec))
		gate := make(chan struct{})
		m := &minter{now: clk.Now, life: time.Hour, gate: gate}
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				_, err := c.Get(bg, "k", m.fetch)
				assert.NoError(t, err)
			})
		}
		synctest.Wait()
		close(gate)
		wg.Wait()
		assert.EqualValues(t, 1, m.calls.Load())
		assert.Equal(t, 4, rec.joins, "every waiter but the one that started the fetch")
	})
}

// panicker panics in every method.
type panicker struct{}

func (panicker) FetchStart(context.Context, FetchInfo) context.Context { panic("start") }
func (panicker) FetchEnd(context.Context, FetchInfo, FetchResult)      { panic("end") }
func (panicker) FetchJoin(_, _ context.Context)                        { panic("join") }
func (panicker) Event(Event)                                           { panic("event") }

func TestPanickingObserverIsRecoveredAndLoggedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs strings.Builder
		rec := &recorder{}
		c, clk := newTestCache(t, WithObserver(panicker{}), WithObserver(rec), WithLogger(newTextLogger(&logs)))
		m := &minter{now: clk.Now, life: time.Hour}
		for i := range 3 {
			tok, err := c.Get(bg, "k", m.fetch)
			require.NoError(t, err)
			c.Invalidate("k", tok)
			_ = i
		}
		assert.Equal(t, 1, strings.Count(logs.String(), "observer panicked"), logs.String())
		assert.Len(t, rec.starts, 3, "the next observer is still told")
	})
}

func TestHitPathCallsNoObserverAndAllocatesNothing(t *testing.T) {
	rec := &recorder{}
	c := New(WithObserver(rec))
	defer c.Close()
	fetch := func(context.Context) (Token, error) {
		return Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	_, err := c.GetWith(bg, "k", Fetcher{Provider: "p", Fetch: fetch})
	require.NoError(t, err)
	s := c.SourceWith("k", Fetcher{Provider: "p", Fetch: fetch})
	_, err = s.Token(bg)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = c.GetWith(bg, "k", Fetcher{Provider: "p", Fetch: fetch})
		_, _ = s.Token(bg)
	})
	assert.Zero(t, allocs)
	assert.Len(t, rec.starts, 1)
	assert.Empty(t, rec.events)
}

func TestObserverNeverSeesTheKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		c, clk := newTestCache(t, WithObserver(rec), WithMaxEntries(1))
		m := &minter{now: clk.Now, life: time.Hour}
		key := "appstle:kate@example.com"
		tok, err := c.Get(bg, key, m.fetch)
		require.NoError(t, err)
		c.Invalidate(key, tok)
		_, _ = c.Get(bg, "other", m.fetch)
		m.err = errors.New("x")
		_, _ = c.Get(bg, "third", m.fetch)
		for _, s := range rec.starts {
			assert.NotContains(t, s.KeyHash, "kate")
		}
		for _, e := range rec.events {
			assert.NotContains(t, e.KeyHash+e.Provider, "kate")
		}
	})
}

// Two observers each get their own FetchStart context back in FetchEnd;
// one attached while a fetch runs is not told of its end; a nil one is
// ignored.
func TestObserversKeepTheirOwnContexts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs strings.Builder
		a, b := &recorder{}, &recorder{}
		c, clk := newTestCache(t, WithObserver(a), WithObserver(nil), WithObserver(b), WithLogger(newTextLogger(&logs)))
		gate := make(chan struct{})
		m := &minter{now: clk.Now, life: time.Hour, gate: gate}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, err := c.Get(bg, "k", m.fetch)
			assert.NoError(t, err)
		}()
		synctest.Wait()
		late := &recorder{}
		c.AddObserver(late)
		close(gate)
		<-done
		assert.Len(t, a.ends, 1)
		assert.Len(t, b.ends, 1)
		assert.Empty(t, late.ends, "attached mid-flight: no FetchEnd for a FetchStart it never saw")
		assert.NotContains(t, logs.String(), "panicked", "the nil observer was not called")
	})
}

// nilCtx returns a nil context from FetchStart: the fetch runs on the one
// it was given.
type nilCtx struct{ NopObserver }

func (nilCtx) FetchStart(context.Context, FetchInfo) context.Context { return nil }

func TestObserverReturningNilContextIsHarmless(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithObserver(nilCtx{}))
		m := &minter{now: clk.Now, life: time.Hour}
		_, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
	})
}

// The cache's log lines name the provider and a hash of the key, never the
// key (which may hold an e-mail address) nor a token.
func TestLogLinesCarryProviderAndKeyHashOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs strings.Builder
		c, clk := newTestCache(t, WithLogger(newTextLogger(&logs)))
		m := &minter{now: clk.Now, life: time.Hour}
		key := "appstle:kate@example.com"
		tok, err := c.GetWith(bg, key, Fetcher{Provider: "appstle", Fetch: m.fetch})
		require.NoError(t, err)
		c.Invalidate(key, tok)
		m.err = errors.New("upstream down")
		_, _ = c.GetWith(bg, key, Fetcher{Provider: "appstle", Fetch: m.fetch})
		out := logs.String()
		assert.Contains(t, out, "provider=appstle")
		assert.Contains(t, out, "key_hash="+keyHash(key))
		assert.Contains(t, out, "token fetch failed")
		assert.NotContains(t, out, "kate")
		assert.NotContains(t, out, tok.Value)
	})
}
