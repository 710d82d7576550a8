package altpaytest

import (
	"net/http"
	"strings"

	"github.com/checkoutkit/checkoutkit/internal/fakesrv"
)

// WithAllowedOrigin lets pages served from origin (scheme://host:port)
// call the browser-facing API with CORS, as the web SDK does from a
// merchant's checkout page.
func WithAllowedOrigin(origin string) Option {
	return func(s *Server) { s.origins = append(s.origins, origin) }
}

// ExpireCheckoutTokens makes every checkout token issued so far expire at
// once, as if its lifetime had run out: the browser-facing API answers 401
// to it, and a web SDK asks its backend for a new one.
func (s *Server) ExpireCheckoutTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tok := range s.issued {
		s.expired[tok] = true
	}
}

// cors answers a preflight and adds the CORS headers for an allowed origin.
// It reports false when the request was a preflight, fully answered.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	allowed := false
	for _, o := range s.origins {
		allowed = allowed || o == origin
	}
	if allowed {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", "POST")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Max-Age", "600")
		h.Add("Vary", "Origin")
	}
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	return true
}

// pay is the browser-facing API a checkout page calls with its checkout
// token: POST /v1/checkout/pay pays the token's invoice. An expired,
// forged or unknown token is 401, which the web SDK answers by asking its
// backend for a new token (onAccessTokenExpired).
func (s *Server) pay(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.cors(w, r) {
		return
	}
	raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	claims, err := fakesrv.ParseJWT(s.signingKey, raw, s.now, true)
	if err != nil || s.expired[raw] {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": "token_expired", "message": "checkout token expired"})
		return
	}
	s.payments++
	inv, _ := claims["invoice_id"].(string)
	cus, _ := claims["customer_id"].(string)
	s.paid[inv] = true
	s.fire("invoice_paid", map[string]any{"id": inv, "customer_id": cus, "status": "paid"})
	writeJSON(w, http.StatusOK, map[string]any{"status": "paid", "invoice_id": claims["invoice_id"], "customer_id": claims["customer_id"]})
}
