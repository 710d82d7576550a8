package httpx

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A request whose Host field names another host is refused before any
// token is attached or anything is sent: net/http would send the Host field
// as the Host header, and a front end routing on it would pass the token on.
func TestHostFieldOtherThanTheURLsIsRefused(t *testing.T) {
	s := newServer(t, status(200, `{}`))
	c := newClient(t, s.URL)
	auth := &staticAuth{tok: "tok-host-123456"}
	for _, host := range []string{"attacker.example", "attacker.example:443", "127.0.0.2"} {
		req, _ := http.NewRequest("GET", s.URL+"/api/v1/x", nil)
		req.Host = host
		_, err := c.DoAuth(req, auth, true)
		require.ErrorIs(t, err, ErrInvalidRequest, host)
		assert.Contains(t, err.Error(), "req.Host")
		assert.NotContains(t, err.Error(), "tok-host-123456")
		_, err = c.Transport(auth, true).RoundTrip(req)
		assert.ErrorIs(t, err, ErrInvalidRequest, host)
	}
	assert.Zero(t, s.hits.Load(), "nothing was sent")

	req, _ := http.NewRequest("GET", s.URL+"/api/v1/x", nil)
	req.Host = req.URL.Host // the same host, as http.NewRequest sets it
	resp, err := c.DoAuth(req, auth, true)
	require.NoError(t, err)
	resp.Body.Close()
	assert.EqualValues(t, 1, s.hits.Load())
}

// causeTransport fails every request with its own error.
type causeTransport struct{ err error }

func (c causeTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, c.err }

// A transport error reaches the caller with its cause: errors.Is finds it
// through the provider, method and path the error is wrapped with.
func TestTransportErrorKeepsItsCause(t *testing.T) {
	cause := errors.New("proxy refused: policy 42")
	c := newClient(t, "https://api.example.com", func(c *Config) {
		c.HTTPClient = &http.Client{Transport: causeTransport{cause}}
		c.MaxAttempts = 1
	})
	_, err := c.Send(bg, Request{Method: "GET", Path: "/x"})
	require.ErrorIs(t, err, cause)
	assert.Equal(t, "test: GET /api/v1/x: proxy refused: policy 42", err.Error())
	req, _ := http.NewRequest("GET", "https://api.example.com/api/v1/y", nil)
	_, err = c.DoAuth(req, &staticAuth{tok: "tok-1234"}, true)
	assert.ErrorIs(t, err, cause)
}

// refusingAuth hands out one token and never lets a 401 refresh it.
type refusingAuth struct {
	tokens, rejects atomic.Int32
}

func (a *refusingAuth) BearerToken(context.Context) (string, error) {
	a.tokens.Add(1)
	return "tok-refused-1234", nil
}
func (a *refusingAuth) Reject(string) bool { a.rejects.Add(1); return false }

// When the Auth says no refresh may happen, the 401 goes back to the
// caller as it is: no second token, no second request.
func TestUnauthorizedWithoutRefreshIsReturned(t *testing.T) {
	s := newServer(t, status(401, `{"message":"nope"}`))
	c := newClient(t, s.URL)
	a := &refusingAuth{}
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/x", nil)
	resp, err := c.DoAuth(req, a, true)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode)
	assert.EqualValues(t, 1, a.tokens.Load())
	assert.EqualValues(t, 1, a.rejects.Load())
	assert.EqualValues(t, 1, s.hits.Load())

	_, err = c.Send(bg, Request{Method: "GET", Path: "/x", Auth: a})
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 401, ae.StatusCode)
	assert.EqualValues(t, 2, s.hits.Load())
}

// One retry policy serves both kinds of call: network errors and 5xx are
// retried only for a call that allows it, 429 for every call.
func TestOneRetryPolicyServesBothKindsOfCall(t *testing.T) {
	s := newServer(t, status(503, `{}`), status(503, `{}`), status(200, `{}`))
	c := newClient(t, s.URL)
	_, err := c.Send(bg, Request{Method: "POST", Path: "/x"})
	require.Error(t, err)
	assert.EqualValues(t, 1, s.hits.Load(), "no retry without Retry")
	s2 := newServer(t, status(503, `{}`), status(200, `{}`))
	c2 := newClient(t, s2.URL)
	_, err = c2.Send(bg, Request{Method: "POST", Path: "/x", Retry: true})
	require.NoError(t, err)
	assert.EqualValues(t, 2, s2.hits.Load())
	s3 := newServer(t, status(429, `{}`), status(200, `{}`))
	c3 := newClient(t, s3.URL)
	_, err = c3.Send(bg, Request{Method: "POST", Path: "/x"})
	require.NoError(t, err)
	assert.EqualValues(t, 2, s3.hits.Load(), "429 is retried for every call")
}

func TestIdempotent(t *testing.T) {
	for _, m := range []string{"", "GET", "HEAD", "OPTIONS", "PUT", "DELETE"} {
		assert.True(t, Idempotent(m), m)
	}
	for _, m := range []string{"POST", "PATCH", "CONNECT", "get"} {
		assert.False(t, Idempotent(m), m)
	}
}

func TestParseRetryAfterOutOfRange(t *testing.T) {
	d, ok := ParseRetryAfter("99999999999999999999999", time.Time{})
	assert.True(t, ok)
	assert.Equal(t, 24*time.Hour, d)
	for _, bad := range []string{"+5", "-5", "5s", "0x10", "1_0"} {
		_, ok := ParseRetryAfter(bad, time.Time{})
		assert.False(t, ok, bad)
	}
}

func TestCheckTokenRefusesInvisibleCharacters(t *testing.T) {
	for _, bad := range []string{"", "a b", "a\x00b", "a\r\nb", "a\u0085b", "a\u202eb", "a\u200bb", "a\xffb", "a\x7fb"} {
		assert.Error(t, CheckToken(bad), "%q", bad)
	}
	for _, good := range []string{"eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.sig", "tok-é"} {
		assert.NoError(t, CheckToken(good), good)
	}
}

// A request built by hand, with no Header map, is sent (with the token)
// instead of panicking on the nil map.
func TestRequestWithoutHeaderMap(t *testing.T) {
	s := newServer(t, status(200, `{}`))
	c := newClient(t, s.URL)
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/x", nil)
	req.Header = nil
	resp, err := c.DoAuth(req, &staticAuth{tok: "tok-nil-header"}, true)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "Bearer tok-nil-header", s.requests[0].Header.Get("Authorization"))
}

// A caller's body of known length goes out with its Content-Length, on the
// first try and on the retry after a 401, not chunked.
func TestBodyKeepsItsContentLength(t *testing.T) {
	s, lengths := lengthServer(t, 401)
	c := newClient(t, s.URL)
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/x", strings.NewReader("four"))
	resp, err := c.DoAuth(req, &staticAuth{tok: "tok-length"}, true)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, []int64{4, 4}, *lengths)
}

// CheckToken's ASCII fast path decides as the rune-by-rune rule does, on
// every byte and on random strings mixing ASCII, multi-byte runes and
// invalid bytes.
func TestCheckTokenFastPathAgreesWithTheRule(t *testing.T) {
	rule := func(tok string) bool {
		if tok == "" || !utf8.ValidString(tok) {
			return false
		}
		for _, r := range tok {
			if unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
				return false
			}
		}
		return true
	}
	for b := range 256 {
		tok := "a" + string([]byte{byte(b)}) + "b"
		assert.Equal(t, rule(tok), CheckToken(tok) == nil, "byte %#x", b)
	}
	alphabet := []string{"a", "Z", "0", "-", ".", " ", "\t", "\x00", "\x7f", "é", "\u00a0", "\u200b", "\u202e", "\u2028", "\ufffd", "\xff", "\xc3", "𝄞"}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 20_000 {
		var sb strings.Builder
		for range 1 + rnd.IntN(8) {
			sb.WriteString(alphabet[rnd.IntN(len(alphabet))])
		}
		tok := sb.String()
		require.Equal(t, rule(tok), CheckToken(tok) == nil, "%q", tok)
	}
}
