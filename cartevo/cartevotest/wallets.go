package cartevotest

import (
	"net/http"
	"slices"
	"strconv"
)

// wallets serves GET /wallets, the fake's one authenticated endpoint: two
// wallets, filtered by ?currency= and cut to ?limit=, in Cartevo's
// envelope (or {"data": …} alone with [WithoutEnvelope]).
func (s *Server) wallets(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiCalls++
	if !s.authorize(r) {
		writeEnvelope(w, http.StatusUnauthorized, false, "Unauthorized", nil)
		return
	}
	wallets := []map[string]any{
		{"id": "wal_xaf_01", "currency": "XAF", "balance": "150000.00", "country": "CM"},
		{"id": "wal_usd_01", "currency": "USD", "balance": "250.00", "country": "CM"},
	}
	if c := r.URL.Query().Get("currency"); c != "" {
		wallets = slices.DeleteFunc(wallets, func(w map[string]any) bool { return w["currency"] != c })
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n >= 0 && n < len(wallets) {
		wallets = wallets[:n]
	}
	if s.bareData {
		writeJSON(w, http.StatusOK, map[string]any{"data": wallets})
		return
	}
	writeEnvelope(w, http.StatusOK, true, "Wallets retrieved successfully", wallets)
}

// writeEnvelope answers in Cartevo's {success, statusCode, message, data}
// envelope.
func writeEnvelope(w http.ResponseWriter, code int, ok bool, msg string, data any) {
	writeJSON(w, code, map[string]any{"success": ok, "statusCode": code, "message": msg, "data": data})
}
