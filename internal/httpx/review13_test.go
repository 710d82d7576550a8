package httpx

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A provider that echoes the Authorization header into its request id,
// which is longer than the 128 bytes kept: no part of the token may reach
// the caller's error. Cutting first left the token's first 110 bytes,
// too short for the whole-token or JWT rules to match.
func TestEchoedTokenInALongRequestIDIsRedacted(t *testing.T) {
	tok := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + strings.Repeat("eyJzdWIiOiJjbGllbnQtMTIzIn0", 6) + ".c2lnbmF0dXJl"
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-1 "+r.Header.Get("Authorization")+" é")
		w.WriteHeader(http.StatusBadRequest)
	})
	_, err := newClient(t, s.URL).Send(bg, Request{Method: "GET", Path: "/x", Auth: &staticAuth{tok: tok}})
	var e *APIError
	require.True(t, errors.As(err, &e), "%v", err)
	assert.True(t, strings.HasPrefix(e.RequestID, "req-1 Bearer [redacted]"), e.RequestID)
	assert.LessOrEqual(t, len(e.RequestID), maxRequestIDLen)
	assert.True(t, utf8.ValidString(e.RequestID))
	for _, text := range []string{e.RequestID, err.Error()} {
		assert.NotContains(t, text, tok[:16], "token prefix leaked")
		assert.NotContains(t, text, tok[40:56], "token payload leaked")
	}
}

// An HTTP date far ahead is capped as a delay in seconds is (a day), so
// APIError.RetryAfter never tells a caller to wait for centuries.
func TestRetryAfterDateIsCappedLikeSeconds(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	secs, ok := ParseRetryAfter("99999999999", now)
	require.True(t, ok)
	date, ok := ParseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", now)
	require.True(t, ok)
	assert.Equal(t, secs, date)

	s := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	_, err := newClient(t, s.URL).Send(bg, Request{Method: "GET", Path: "/x"})
	var e *APIError
	require.True(t, errors.As(err, &e), "%v", err)
	assert.Equal(t, 24*time.Hour, e.RetryAfter)
	assert.EqualValues(t, 1, s.hits.Load(), "beyond the cap: not waited on")
}
