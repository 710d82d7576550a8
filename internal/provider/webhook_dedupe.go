package provider

import (
	"sync"
	"time"
)

// claim states.
const (
	claimed   = iota // the caller handles the event
	duplicate        // the event was handled inside the window
	inFlight         // another caller is handling it: wait, then claim again
)

// seen is the in-memory dedupe set of one receiver: the ids handled within
// the window, at most max of them (the oldest go first), and the ids being
// handled right now. Safe for concurrent use.
type seen struct {
	mu     sync.Mutex
	window time.Duration
	max    int
	ids    map[string]*mark
	order  []handled // handled ids, oldest first (marks share one window)
}

type mark struct {
	at   time.Time     // when it was handled; zero while in flight
	done chan struct{} // closed when the in-flight call ends
}

type handled struct {
	id string
	at time.Time
}

func newSeen(window time.Duration, max int) *seen {
	return &seen{window: window, max: max, ids: map[string]*mark{}}
}

// claim reports what the caller is to do with id at now; for inFlight it
// returns a channel closed when the current holder finishes.
func (s *seen) claim(id string, now time.Time) (int, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(now)
	if m, ok := s.ids[id]; ok {
		if m.at.IsZero() {
			return inFlight, m.done
		}
		return duplicate, nil
	}
	s.ids[id] = &mark{done: make(chan struct{})}
	return claimed, nil
}

// finish ends the caller's claim on id: remembered as handled when ok,
// forgotten otherwise (the provider's retry is then handled), and any
// waiter woken.
func (s *seen) finish(id string, ok bool, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.ids[id]
	if m == nil || !m.at.IsZero() {
		return
	}
	close(m.done)
	if !ok {
		delete(s.ids, id)
		return
	}
	m.at = now
	s.order = append(s.order, handled{id, now})
	for len(s.order) > s.max {
		s.drop()
	}
}

// prune forgets handled ids older than the window.
func (s *seen) prune(now time.Time) {
	for len(s.order) > 0 && now.Sub(s.order[0].at) >= s.window {
		s.drop()
	}
	if len(s.order) == 0 && cap(s.order) > 1024 {
		s.order = nil // give back a backlog's array
	}
}

// drop forgets the oldest handled id, unless it was handled again since.
func (s *seen) drop() {
	h := s.order[0]
	s.order = s.order[1:]
	if m := s.ids[h.id]; m != nil && m.at.Equal(h.at) {
		delete(s.ids, h.id)
	}
}

// len is the number of ids remembered or in flight, for tests.
func (s *seen) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ids)
}
