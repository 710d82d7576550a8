// Package cartevotest is an in-process fake of the Cartevo API for tests and
// examples: POST /auth/token minting HS256 JWT access tokens with Cartevo's
// claims, 400/401/429 answers in Cartevo's shapes, key rotation, and one
// authenticated endpoint (GET /wallets, with currency and limit query
// parameters) that uses Cartevo's envelope, or not ([WithoutEnvelope]).
//
//	srv := cartevotest.NewServer()
//	defer srv.Close()
//	client, _ := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey,
//		cartevo.WithBaseURL(srv.URL()))
//
// With [WithWebhook] it delivers webhooks signed with X-Cartevo-Signature
// ([Server.CollectPayment] fires payment.collect).
//
// It listens on loopback only and counts requests, so a test can assert
// "one mint".
package cartevotest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/fakesrv"
)

// The credentials the server accepts unless told otherwise.
const (
	ClientID  = "client_utkq6uy2pt"
	ClientKey = "ck_test_9f2b7c1d4e6a8b0c"
	CompanyID = "eca5e982-00b5-4aa2-b709-7d5cd673e95c"
)

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	fake // serving and webhooks: see server_gen.go

	keys         map[string]string // client id -> current key
	generation   map[string]int    // client id -> key generation
	issued       map[string]issued // jti -> who and which generation
	expiresIn    time.Duration
	now          func() time.Time
	limit        fakesrv.Limiter // token requests
	failures     []int           // statuses to answer the next token requests with
	mints        int
	tokenCalls   int
	tokenStarted int
	apiCalls     int
	signingKey   []byte
	delay        time.Duration
	bareData     bool

	unsigned bool // WithUnsignedWebhooks
}

type issued struct {
	clientID   string
	generation int
}

// WithExpiresIn sets the expires_in of minted tokens (default 1 hour).
func WithExpiresIn(d time.Duration) Option { return func(s *Server) { s.expiresIn = d } }

// WithClock sets the server's clock (default time.Now), for token times and
// rate limiting.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithRateLimit answers 429 to token requests beyond n per window, as
// Cartevo does (10 per 60 s per IP). The window is 60 s when not given, so
// WithRateLimit(10) is Cartevo's documented limit; 0 turns it off. Every
// fake's WithRateLimit has this shape: n per window, window defaulting to
// the provider's own. Default: no limit.
func WithRateLimit(n int, window ...time.Duration) Option {
	return func(s *Server) { s.limit.Set(n, time.Minute, window) }
}

// WithoutEnvelope makes GET /wallets answer {"data": […]} with no success,
// statusCode or message fields, as Cartevo's backend does for modules
// whose global envelope is switched off.
func WithoutEnvelope() Option { return func(s *Server) { s.bareData = true } }

// WithClient adds an accepted client id and key.
func WithClient(id, key string) Option { return func(s *Server) { s.keys[id] = key } }

// NewServer starts a fake on a loopback port. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		keys:       map[string]string{ClientID: ClientKey},
		generation: map[string]int{},
		issued:     map[string]issued{},
		expiresIn:  time.Hour,
		now:        time.Now,
		signingKey: randomBytes(32),
	}
	s.apply(opts)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/auth/token", s.token)
	mux.HandleFunc("GET /api/v1/wallets", s.wallets)
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeEnvelope(w, http.StatusNotFound, false, "Cannot "+r.Method+" "+r.URL.Path, nil)
	})
	s.start(mux)
	return s
}

// RotateKey gives clientID a new key and returns it. The old key stops
// working, and so does every token minted before, as with Cartevo.
func (s *Server) RotateKey(clientID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := "ck_test_" + hex.EncodeToString(randomBytes(8))
	s.keys[clientID] = key
	s.generation[clientID]++
	return key
}

// RevokeTokens makes every token minted so far for clientID answer 401,
// while its key keeps working: what a client sees when a token it cached is
// rejected before its expiry.
func (s *Server) RevokeTokens(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.generation[clientID]++
}

// SetDelay makes every token request take d before it is answered.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// FailNext makes the next token requests answer with these statuses, in
// order (500 and 503 with a JSON body, anything else likewise).
func (s *Server) FailNext(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, statuses...)
}

// SetExpiresIn changes the lifetime of tokens minted from now on.
func (s *Server) SetExpiresIn(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expiresIn = d
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	// Read and decode before taking the lock: a client stalling mid-body
	// must not hold up everyone else's mints.
	var body map[string]json.RawMessage
	decodeErr := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body)
	s.mu.Lock()
	s.tokenStarted++
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		case <-s.closing:
			// Dropped: the connection closes with no answer (returning
			// would send an empty 200).
			panic(http.ErrAbortHandler)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenCalls++
	now := s.now()

	if len(s.failures) > 0 {
		code := s.failures[0]
		s.failures = s.failures[1:]
		writeError(w, code, http.StatusText(code))
		return
	}
	if !s.limit.Allow("", now) { // one caller: Cartevo limits per IP
		writeError(w, http.StatusTooManyRequests, "ThrottlerException: Too Many Requests")
		return
	}

	if decodeErr != nil {
		writeError(w, http.StatusBadRequest, "Invalid JSON body")
		return
	}
	var problems []string
	for _, field := range slices.Sorted(maps.Keys(body)) { // a stable order for tests
		if field != "client_id" && field != "client_key" {
			problems = append(problems, "property "+field+" should not exist")
		}
	}
	for _, field := range []string{"client_id", "client_key"} {
		problems = append(problems, validate(body, field)...)
	}
	id, key := stringField(body, "client_id"), stringField(body, "client_key")
	if len(problems) > 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": problems, "error": "Bad Request", "statusCode": 400})
		return
	}
	if want, ok := s.keys[id]; !ok || want != key {
		writeError(w, http.StatusUnauthorized, "Invalid client credentials")
		return
	}

	jti := hex.EncodeToString(randomBytes(12))
	s.issued[jti] = issued{clientID: id, generation: s.generation[id]}
	tok := fakesrv.SignJWT(s.signingKey, map[string]any{
		"sub":       CompanyID,
		"companyId": CompanyID,
		"clientId":  id,
		"iat":       now.Unix(),
		"exp":       now.Add(s.expiresIn).Unix(),
		"jti":       jti,
	})
	s.mints++
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   int(s.expiresIn / time.Second),
	})
}

// authorize checks the Bearer token: signature, expiry and key generation.
func (s *Server) authorize(r *http.Request) bool {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	claims, err := fakesrv.ParseJWT(s.signingKey, raw, s.now, true)
	if err != nil {
		return false
	}
	jti, _ := claims["jti"].(string)
	who, ok := s.issued[jti]
	return ok && who.generation == s.generation[who.clientID]
}

// validate checks field as Cartevo's ValidationPipe does (IsString, then
// IsNotEmpty) and returns its messages.
func validate(body map[string]json.RawMessage, field string) []string {
	raw, ok := body[field]
	var problems []string
	if !ok || len(raw) == 0 || raw[0] != '"' {
		problems = append(problems, field+" must be a string")
	}
	if !ok || string(raw) == "null" || string(raw) == `""` {
		problems = append(problems, field+" should not be empty")
	}
	return problems
}

func stringField(body map[string]json.RawMessage, name string) string {
	var v string
	if raw, ok := body[name]; ok {
		_ = json.Unmarshal(raw, &v)
	}
	return v // compared as sent: Cartevo does not trim credentials
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"message": msg, "error": http.StatusText(code), "statusCode": code})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return b
}
