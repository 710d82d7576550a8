// Package appstletest is an in-process fake of Appstle Subscriptions' external
// API for tests and examples: it checks X-API-Key, looks customers up by id
// (numeric or gid) or email, answers Appstle's 400/401/404 rules as
// problem+json, issues HMAC-signed tokens carrying customerId, shop,
// timestamp and exp that expire after 2 hours, serves the
// manage-subscription-link and magic-link endpoints, and a
// /tools/recurring/customer_portal page that accepts the tokens.
//
//	srv := appstletest.NewServer()
//	defer srv.Close()
//	client, _ := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()))
//
// It listens on loopback only.
package appstletest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/checkoutkit/checkoutkit/internal/fakesrv"
)

// Defaults the server starts with.
const (
	APIKey     = "apst_test_7d1c9e4b2a6f8e0d"
	Shop       = "mystore.myshopify.com"
	CustomerID = 12345
	Email      = "ada+subs@example.com"
	Lifetime   = 2 * time.Hour
)

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	srv        *httptest.Server
	listener   net.Listener
	signingKey []byte

	mu        sync.Mutex
	keys      map[string]bool
	customers map[int64]string // id -> email
	now       func() time.Time
	noExp     bool
	tokens    int
	magic     []string
}

// Option configures a Server.
type Option func(*Server)

// WithListener serves the fake on l (a fixed address, say) instead of a
// fresh loopback port. The server takes ownership of l and closes it on
// Close.
func WithListener(l net.Listener) Option { return func(s *Server) { s.listener = l } }

// WithClock sets the server's clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithCustomer adds a customer.
func WithCustomer(id int64, email string) Option {
	return func(s *Server) { s.customers[id] = email }
}

// WithoutExpClaim issues tokens with only the timestamp claim, as Appstle's
// documented example does.
func WithoutExpClaim() Option { return func(s *Server) { s.noExp = true } }

// NewServer starts a fake on a loopback port with one customer
// (CustomerID, Email) and one API key (APIKey).
func NewServer(opts ...Option) *Server {
	s := &Server{
		signingKey: make([]byte, 32),
		keys:       map[string]bool{APIKey: true},
		customers:  map[int64]string{CustomerID: Email},
		now:        time.Now,
	}
	_, _ = rand.Read(s.signingKey)
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/external/v2/customer-portal-token", s.auth(s.portalToken))
	mux.HandleFunc("GET /api/external/v2/manage-subscription-link/{id}", s.auth(s.manageLink))
	mux.HandleFunc("GET /api/external/v2/subscription-contracts-email-magic-link", s.auth(s.magicLink))
	mux.HandleFunc("GET /tools/recurring/customer_portal", s.portalPage)
	s.srv = fakesrv.Start(mux, s.listener)
	return s
}

// URL is the value for appstle.WithBaseURL.
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// PortalPage is the fake's customer-portal page URL for token (the real one
// lives on the shop's domain; see appstle.PortalURL).
func (s *Server) PortalPage(token string) string {
	return s.srv.URL + "/tools/recurring/customer_portal?token=" + url.QueryEscape(token)
}

// Tokens reports how many portal tokens the server has issued.
func (s *Server) Tokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens
}

// MagicLinksSent lists the addresses magic links were "emailed" to.
func (s *Server) MagicLinksSent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.magic...)
}

func (s *Server) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.keys[r.Header.Get("X-API-Key")] {
			problem(w, http.StatusUnauthorized, "Unauthorized", "Invalid or missing API key")
			return
		}
		next(w, r)
	}
}

// lookup finds a customer by customerId (numeric or gid) or email.
func (s *Server) lookup(w http.ResponseWriter, q url.Values) (int64, bool) {
	idParam, email := q.Get("customerId"), q.Get("email")
	if (idParam == "") == (email == "") {
		problem(w, http.StatusBadRequest, "Bad Request", "Either customerId or email is required")
		return 0, false
	}
	if idParam != "" {
		id, err := strconv.ParseInt(strings.TrimPrefix(idParam, "gid://shopify/Customer/"), 10, 64)
		if err != nil || id <= 0 {
			problem(w, http.StatusBadRequest, "Bad Request", "Invalid customerId")
			return 0, false
		}
		if _, ok := s.customers[id]; !ok {
			problem(w, http.StatusNotFound, "Not Found", "Customer not found")
			return 0, false
		}
		return id, true
	}
	for id, e := range s.customers {
		if strings.EqualFold(e, email) {
			return id, true
		}
	}
	problem(w, http.StatusNotFound, "Not Found", "Customer not found")
	return 0, false
}

func (s *Server) issue(id int64) string {
	now := s.now()
	claims := jwt.MapClaims{"customerId": id, "shop": Shop, "timestamp": now.Unix()}
	if !s.noExp {
		claims["exp"] = now.Add(Lifetime).Unix()
	}
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.signingKey)
	s.tokens++
	return tok
}

func (s *Server) portalToken(w http.ResponseWriter, r *http.Request) {
	id, ok := s.lookup(w, r.URL.Query())
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"customerId": id, "token": s.issue(id)})
}

func (s *Server) manageLink(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		problem(w, http.StatusBadRequest, "Bad Request", "customerId must be numeric")
		return
	}
	if _, ok := s.customers[id]; !ok {
		problem(w, http.StatusNotFound, "Not Found", "Customer not found")
		return
	}
	tok := s.issue(id)
	link := "https://" + Shop + "/tools/recurring/customer_portal?token=" + url.QueryEscape(tok)
	writeJSON(w, http.StatusOK, map[string]any{
		"manageSubscriptionLink": link,
		"tokenExpirationTime":    s.now().Add(Lifetime).UTC().Format(time.RFC3339),
		"expiresInMinutes":       int(Lifetime / time.Minute),
		"customerId":             id,
		"portalUrl":              link,
	})
}

func (s *Server) magicLink(w http.ResponseWriter, r *http.Request) {
	email := r.URL.Query().Get("email")
	if email == "" {
		problem(w, http.StatusBadRequest, "Bad Request", "email is required")
		return
	}
	if _, ok := s.lookup(w, url.Values{"email": {email}}); !ok {
		return
	}
	s.magic = append(s.magic, email)
	writeJSON(w, http.StatusOK, map[string]any{"message": "Magic link sent"})
}

func (s *Server) portalPage(w http.ResponseWriter, r *http.Request) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(r.URL.Query().Get("token"), claims,
		func(*jwt.Token) (any, error) { return s.signingKey, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(s.now))
	if err == nil && s.noExp {
		ts, _ := claims["timestamp"].(float64)
		if s.now().After(time.Unix(int64(ts), 0).Add(Lifetime)) {
			err = fmt.Errorf("expired")
		}
	}
	if err != nil {
		http.Error(w, "This link has expired.", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	id, _ := claims["customerId"].(float64)
	fmt.Fprintf(w, "<!doctype html><title>Subscriptions (fake Appstle)</title>"+
		"<p id=\"fake\" style=\"background:#fff3cd;padding:6px 10px;font:14px monospace\">FAKE Appstle customer portal (appstletest)</p>"+
		"<h1>Your subscriptions</h1><p>Signed in as Shopify customer <span id=\"customer\">%d</span></p>\n", int64(id))
}

func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": title, "status": status, "detail": detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
