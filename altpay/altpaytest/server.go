// Package altpaytest is an in-process fake of the Alternative Payments
// partner API for tests and examples: POST /oauth/token with HTTP Basic
// client credentials (403 "Invalid credentials" when wrong) issuing opaque
// access tokens that expire, POST /v1/checkout-auth/init issuing HS256
// checkout JWTs with the documented claims (400 "invalid invoice id"
// without one), a switch to serve init only without the /v1 prefix, and the
// 5 requests per second per key limit with 429; and the browser-facing
// API a checkout page calls with its checkout token (POST /v1/checkout/pay,
// with CORS for [WithAllowedOrigin]), whose tokens [Server.ExpireCheckoutTokens]
// can expire early.
//
//	srv := altpaytest.NewServer()
//	defer srv.Close()
//	client, _ := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret,
//		altpay.WithBaseURL(srv.URL()))
//
// The token endpoint accepts the request as a form (RFC 6749, as the node
// SDK sends it) and as a JSON body {"grant_type": "client_credentials"}
// with the same Basic auth (as a PHP integration sends it, and the live API
// accepted). [WithoutExpiresIn] leaves expires_in out of token answers, as
// some answers do (peers then assume 3600 s).
//
// With [WithWebhook] (or webhooks registered through POST /webhooks) it
// delivers invoice_paid after a payment, with the registered secret_key as
// the bearer, as Alternative Payments does.
//
// It listens on loopback only and counts calls.
package altpaytest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/fakesrv"
)

// Defaults the server starts with.
const (
	ClientID         = "ap_client_3c9d2e7f"
	ClientSecret     = "ap_secret_b81f4a0c6e2d9f37"
	PartnerID        = "partner_0042"
	AccessLifetime   = time.Hour
	CheckoutLifetime = 15 * time.Minute
)

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	fake       // serving and webhooks: see server_gen.go
	signingKey []byte

	secrets    map[string]string    // client id -> secret
	access     map[string]accessTok // access token -> owner and expiry
	now        func() time.Time
	limit      fakesrv.Limiter // per client id
	noV1       bool
	noExpires  bool
	oauthCalls int
	mints      int
	initCalls  map[string]int
	checkouts  int
	issued     []string        // checkout tokens, for ExpireCheckoutTokens
	expired    map[string]bool // checkout tokens expired early
	origins    []string        // allowed to call the browser-facing API
	payments   int
	paid       map[string]bool // invoice ids paid

	webhooks    []webhook
	nextWebhook int
}

type accessTok struct {
	clientID string
	expires  time.Time
}

// WithClock sets the server's clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithoutV1Prefix serves the init endpoint only at /checkout-auth/init, as
// some environments do; /v1/checkout-auth/init then answers 404.
func WithoutV1Prefix() Option { return func(s *Server) { s.noV1 = true } }

// WithRateLimit answers 429 (Retry-After: the seconds until the window
// admits one more, 1 in the default window) to a client's requests beyond
// n per window, counting /oauth/token and init requests per client id. The
// window is 1 s when not given, so WithRateLimit(5) is the documented
// limit and the default; 0 turns it off. Every fake's WithRateLimit has
// this shape: n per window, window defaulting to the provider's own.
func WithRateLimit(n int, window ...time.Duration) Option {
	return func(s *Server) { s.limit.Set(n, time.Second, window) }
}

// WithoutExpiresIn leaves expires_in out of /oauth/token answers; the
// tokens still expire after AccessLifetime (3600 s, what clients assume).
func WithoutExpiresIn() Option { return func(s *Server) { s.noExpires = true } }

// NewServer starts a fake on a loopback port. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		signingKey: make([]byte, 32),
		secrets:    map[string]string{ClientID: ClientSecret},
		access:     map[string]accessTok{},
		now:        time.Now,
		limit:      fakesrv.Limiter{N: 5, Window: time.Second},
		initCalls:  map[string]int{},
		expired:    map[string]bool{},
		paid:       map[string]bool{},
	}
	_, _ = rand.Read(s.signingKey)
	s.apply(opts)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", s.token)
	mux.HandleFunc("POST /v1/checkout/pay", s.pay)
	mux.HandleFunc("OPTIONS /v1/checkout/pay", s.pay) // CORS preflight
	mux.HandleFunc("POST /v1/checkout-auth/init", s.init("/v1/checkout-auth/init"))
	mux.HandleFunc("POST /checkout-auth/init", s.init("/checkout-auth/init"))
	mux.HandleFunc("POST /webhooks", s.createWebhook)
	mux.HandleFunc("GET /webhooks", s.listWebhooks)
	s.start(mux)
	return s
}

// OAuthCalls reports how many requests reached /oauth/token.
//
// Deprecated: use [Server.TokenRequests], the name every fake uses.
func (s *Server) OAuthCalls() int { return s.TokenRequests() }

// CheckoutTokenRequests reports how many requests reached an init path
// ("/v1/checkout-auth/init" or "/checkout-auth/init"), whatever the answer.
func (s *Server) CheckoutTokenRequests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initCalls[path]
}

// InitCalls reports how many requests reached an init path.
//
// Deprecated: use [Server.CheckoutTokenRequests], in the vocabulary every
// fake uses.
func (s *Server) InitCalls(path string) int { return s.CheckoutTokenRequests(path) }

// RevokeTokens makes every access token issued so far for clientID answer
// 401, while its secret keeps working: what a client sees when a token it
// cached is rejected before its expiry. Checkout tokens are not affected.
func (s *Server) RevokeTokens(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, at := range s.access {
		if at.clientID == clientID {
			delete(s.access, tok)
		}
	}
}

// RevokeAccessTokens makes every access token issued so far answer 401.
//
// Deprecated: use [Server.RevokeTokens], the name every fake uses; this
// revokes the tokens of every client.
func (s *Server) RevokeAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = map[string]accessTok{}
}

// limited records a call for key and reports whether it exceeds the limit,
// and if so sets Retry-After: the seconds, rounded up, until the window
// admits key again.
func (s *Server) limited(w http.ResponseWriter, key string) bool {
	now := s.now()
	if s.limit.Allow(key, now) {
		return false
	}
	wait := s.limit.Wait(key, now)
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second))))
	return true
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	// Read the body before taking the lock: a client stalling mid-body
	// must not hold up everyone else's mints.
	grant := grantType(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauthCalls++
	id, secret, ok := r.BasicAuth()
	if !ok || s.secrets[id] == "" || s.secrets[id] != secret {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "Invalid credentials"})
		return
	}
	if s.limited(w, id) {
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "Too many requests"})
		return
	}
	if grant != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"message": "unsupported grant_type"}})
		return
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	s.access[tok] = accessTok{clientID: id, expires: s.now().Add(AccessLifetime)}
	s.mints++
	answer := map[string]any{"access_token": tok, "expires_in": int(AccessLifetime / time.Second), "token_type": "bearer"}
	if s.noExpires {
		delete(answer, "expires_in")
	}
	writeJSON(w, http.StatusOK, answer)
}

// grantType reads grant_type from a form body or from a JSON one.
func grantType(r *http.Request) string {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		var v struct {
			GrantType string `json:"grant_type"`
		}
		if json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&v) != nil {
			return ""
		}
		return v.GrantType
	}
	if r.ParseForm() != nil {
		return ""
	}
	return r.PostForm.Get("grant_type")
}

func (s *Server) init(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			CustomerID string `json:"customer_id"`
			InvoiceID  string `json:"invoice_id"`
		}
		// Read and decode before taking the lock (see token).
		decodeErr := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.initCalls[path]++
		if s.noV1 && strings.HasPrefix(path, "/v1/") {
			writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
			return
		}
		raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		at, ok := s.access[raw]
		if !ok || !s.now().Before(at.expires) {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Unauthorized"})
			return
		}
		if s.limited(w, at.clientID) {
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "Too many requests"})
			return
		}
		if decodeErr != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"message": "invalid body"}})
			return
		}
		switch {
		case body.CustomerID == "":
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"message": "invalid customer id"}})
			return
		case body.InvoiceID == "":
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"message": "invalid invoice id"}})
			return
		}
		exp := s.now().Add(CheckoutLifetime)
		tok := fakesrv.SignJWT(s.signingKey, map[string]any{
			"partner_id": PartnerID, "client_id": at.clientID,
			"customer_id": body.CustomerID, "invoice_id": body.InvoiceID, "exp": exp.Unix(),
			"jti": randomID(), // two tokens minted in one second still differ
		})
		s.checkouts++
		s.issued = append(s.issued, tok)
		writeJSON(w, http.StatusOK, map[string]any{"token": tok, "expires_at": exp.UTC().Format(time.RFC3339)})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
