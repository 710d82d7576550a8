package fakesrv

import "time"

// Limiter is a fake's rate limit: at most N requests per Window for each
// key, over a sliding window; a refused request does not count. N <= 0
// means no limit. The zero value allows everything. It is not safe for
// concurrent use: a fake calls it under its own lock.
type Limiter struct {
	N      int
	Window time.Duration
	seen   map[string][]time.Time
}

// Allow records a request for key at now and reports whether it is within
// the limit.
func (l *Limiter) Allow(key string, now time.Time) bool {
	if l.N <= 0 {
		return true
	}
	if l.seen == nil {
		l.seen = map[string][]time.Time{}
	}
	kept := l.seen[key][:0]
	for _, t := range l.seen[key] {
		if now.Sub(t) < l.Window {
			kept = append(kept, t)
		}
	}
	if len(kept) >= l.N {
		l.seen[key] = kept
		return false
	}
	l.seen[key] = append(kept, now)
	return true
}

// Wait is how long key, refused at now, waits until the window admits
// another request: until its oldest request in the window leaves it.
func (l *Limiter) Wait(key string, now time.Time) time.Duration {
	if seen := l.seen[key]; len(seen) > 0 {
		return max(0, l.Window-now.Sub(seen[0]))
	}
	return 0
}

// Set sets the limit to n per window, or per def when window is not
// given: the shape of every fake's WithRateLimit(n, window...). More than
// one window is a mistake in the test, and panics.
func (l *Limiter) Set(n int, def time.Duration, window []time.Duration) {
	switch len(window) {
	case 0:
		l.N, l.Window = n, def
	case 1:
		l.N, l.Window = n, window[0]
	default:
		panic("WithRateLimit: at most one window")
	}
}
