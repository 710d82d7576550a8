package cartevo_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/cartevo"
)

// A 401 storm on one endpoint drove the token endpoint to 429 with
// Retry-After: 60. The endpoint that accepted the token before must keep
// working meanwhile (the cache serves the dropped token as its last
// resort), and the refusing endpoint gets its 401 back, without more mints.
func TestRefusedRemintKeepsTheWorkingTokenForOtherEndpoints(t *testing.T) {
	var mints atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/auth/token":
			if mints.Add(1) > 1 {
				w.Header().Set("Retry-After", "60")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write([]byte(`{"message":"ThrottlerException: Too Many Requests","statusCode":429}`))
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-first", "token_type": "Bearer", "expires_in": 3600})
		case "/api/v1/ok":
			if r.Header.Get("Authorization") != "Bearer tok-first" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			_, _ = w.Write([]byte(`{"success":true,"data":{}}`))
		default: // an endpoint that refuses every token
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	c, err := cartevo.New("client_x", "key_x", cartevo.WithBaseURL(srv.URL+"/api/v1"))
	require.NoError(t, err)
	defer c.Close()
	get := func(path string) int {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, c.URL(path), nil)
		require.NoError(t, err)
		resp, err := c.Do(req)
		require.NoError(t, err, path)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, get("/ok"))
	for range 5 {
		assert.Equal(t, http.StatusUnauthorized, get("/refuses"), "the 401 comes back to the caller")
	}
	for range 5 {
		assert.Equal(t, http.StatusOK, get("/ok"), "the token /ok accepts is still served while the key backs off")
	}
	assert.EqualValues(t, 2, mints.Load(), "one mint, and one refused re-mint")
}
