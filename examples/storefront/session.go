package main

import (
	"crypto/rand"
	"net/http"
	"sync"
	"time"
)

const cookieName = "storefront_session"

// maxSessionsPerUser bounds the live sessions of one user: a new sign-in
// past it ends that user's oldest.
const maxSessionsPerUser = 10

// sessionTTL is how long a sign-in lasts.
const sessionTTL = 8 * time.Hour

// sessions are server-side: the cookie holds a random id and nothing else,
// so signing out (or expiry) ends a session for good, whoever kept a copy
// of the cookie.
type sessions struct {
	mu   sync.Mutex
	ttl  time.Duration
	now  func() time.Time
	byID map[string]session
}

type session struct {
	user    string
	expires time.Time
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, now: time.Now, byID: map[string]session{}}
}

// start signs user in and sets the session cookie. The session r already
// carries, if any, ends: a new sign-in replaces it rather than leaving it
// live beside the new one, past a later sign-out. A user past
// maxSessionsPerUser loses their oldest session, so that sign-ins cannot
// grow the map without bound.
func (s *sessions) start(w http.ResponseWriter, r *http.Request, user string, secure bool) {
	id := rand.Text() + rand.Text()
	old, hadOld := s.id(r)
	s.mu.Lock()
	if hadOld {
		delete(s.byID, old)
	}
	now := s.now()
	var oldest string // user's session that expires first
	n := 0
	for k, v := range s.byID { // drop the expired ones, count user's
		switch {
		case !now.Before(v.expires):
			delete(s.byID, k)
		case v.user == user:
			n++
			if oldest == "" || v.expires.Before(s.byID[oldest].expires) {
				oldest = k
			}
		}
	}
	if n >= maxSessionsPerUser {
		delete(s.byID, oldest)
	}
	s.byID[id] = session{user: user, expires: now.Add(s.ttl)}
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store") // the answer carries the session id
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: id, Path: "/",
		MaxAge: int(s.ttl / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure,
	})
}

// user is the signed-in user of r's session, if it is live.
func (s *sessions) user(r *http.Request) (string, bool) {
	id, ok := s.id(r)
	if !ok {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.byID[id]
	if !ok || !s.now().Before(v.expires) {
		delete(s.byID, id)
		return "", false
	}
	return v.user, true
}

// end signs r's session out and clears the cookie.
func (s *sessions) end(w http.ResponseWriter, r *http.Request) {
	if id, ok := s.id(r); ok {
		s.mu.Lock()
		delete(s.byID, id)
		s.mu.Unlock()
	}
	w.Header().Set("Cache-Control", "no-store")
	http.SetCookie(w, &http.Cookie{Name: cookieName, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func (s *sessions) id(r *http.Request) (string, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return "", false
	}
	return c.Value, len(c.Value) == 52 // two rand.Text()s
}
