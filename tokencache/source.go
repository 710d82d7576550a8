package tokencache

import (
	"context"
	"sync/atomic"
)

// Source is a handle on one key of a [Cache] with its fetch bound, for a
// token that a program asks for on every request (an OAuth access token,
// say). Its hit path reads no map: the entry's token and the hit-path
// clock reading (a single load on the real clock). A Source is safe for concurrent use and
// stays valid as long as its Cache.
type Source struct {
	c   *Cache
	key string
	f   Fetcher
	e   atomic.Pointer[entry] // the key's entry as of the last slow call; re-read after each
}

// Source returns a handle on key whose Token behaves as Get(ctx, key, fetch).
// Sources and Get calls on the same key share one entry and one fetch.
func (c *Cache) Source(key string, fetch FetchFunc) *Source {
	return c.SourceWith(key, Fetcher{Fetch: fetch})
}

// SourceWith is [Cache.Source] with a [Fetcher].
func (c *Cache) SourceWith(key string, f Fetcher) *Source {
	return &Source{c: c, key: key, f: f}
}

// Token returns the key's token, with the semantics of [Cache.Get] (or
// [Cache.GetFresh], if the Fetcher says Fresh).
func (s *Source) Token(ctx context.Context) (Token, error) {
	if e := s.e.Load(); e != nil {
		if it := e.it.Load(); it.hit(s.c.cfg.clock.tick()) {
			s.c.hits.Inc()
			return it.tok, nil
		}
	}
	tok, err := s.c.get(ctx, s.key, s.f)
	// Bind to the key's entry as it is now: an evicted entry holds a
	// placeholder, which sends the next call here to bind to the new one.
	if it, ok := s.c.entries.Load(s.key); ok {
		s.e.Store(it.e)
	}
	return tok, err
}

// Invalidate drops rejected from the key, as [Cache.Invalidate].
func (s *Source) Invalidate(rejected Token) {
	s.c.Invalidate(s.key, rejected)
}

// Key returns the cache key the Source reads.
func (s *Source) Key() string { return s.key }
