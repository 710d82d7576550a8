package tokencache

import (
	"context"
	"runtime"
	"sync/atomic"
)

// Source is a handle on one key of a [Cache] with its fetch function bound,
// for a token that a program asks for on every request (an OAuth access
// token, say). Its hit path reads neither the cache's map nor, on the real
// clock, the wall clock: one pointer load and one state load, and it counts
// the hit on a counter of its own. A Source is safe for concurrent use and
// stays valid as long as its Cache.
type Source struct {
	c     *Cache
	key   string
	fetch FetchFunc
	e     atomic.Pointer[entry]
	hits  *hitCounter
}

// Source returns a handle on key whose Token behaves as Get(ctx, key, fetch).
// Sources and Get calls on the same key share one entry and one fetch.
func (c *Cache) Source(key string, fetch FetchFunc) *Source {
	s := &Source{c: c, key: key, fetch: fetch, hits: newHitCounter()}
	c.srcs.Store(s.hits, struct{}{})
	// Once the Source is garbage, its hits move to the cache's total.
	runtime.AddCleanup(s, func(h *hitCounter) {
		c.gone.Add(h.load())
		c.srcs.Delete(h)
	}, s.hits)
	return s
}

// Token returns the key's token, with the semantics of [Cache.Get].
func (s *Source) Token(ctx context.Context) (Token, error) {
	if e := s.e.Load(); e != nil {
		if it := s.c.hit(e); it != nil {
			s.hit()
			return it.tok, nil
		}
	}
	return s.c.get(ctx, s.key, s, s.fetch, true)
}

// hit counts one hit. s must outlive the increment: once the Source is
// garbage its cleanup moves the counter's total to the cache, and a count
// added after that would be lost.
func (s *Source) hit() {
	s.hits.inc()
	runtime.KeepAlive(s)
}

// Invalidate drops stale from the key, as [Cache.Invalidate].
func (s *Source) Invalidate(stale Token) {
	s.c.Invalidate(s.key, stale)
}

// Key returns the cache key the Source reads.
func (s *Source) Key() string { return s.key }
