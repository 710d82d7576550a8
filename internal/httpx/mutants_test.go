package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests pin down the boundaries a mutation tester found unguarded.

type recordingTransport struct {
	closed atomic.Int32
	resp   func(*http.Request) *http.Response
}

func (t *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.resp != nil {
		return t.resp(r), nil
	}
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}"))}, nil
}
func (t *recordingTransport) CloseIdleConnections() { t.closed.Add(1) }

func TestCloseFreesOnlyOwnConnections(t *testing.T) {
	theirs := &recordingTransport{}
	c, err := New(Config{Provider: "p", BaseURL: "https://api.example.com", HTTPClient: &http.Client{Transport: theirs}})
	require.NoError(t, err)
	c.Close()
	assert.Zero(t, theirs.closed.Load(), "a caller's transport is theirs to close")

	c, err = New(Config{Provider: "p", BaseURL: "https://api.example.com", HTTPClient: &http.Client{}})
	require.NoError(t, err)
	assert.True(t, c.ownTransport, "a caller's client without a transport gets one of ours")

	// With a logger the transport is wrapped; Close still reaches it.
	own := &recordingTransport{}
	c, err = New(Config{Provider: "p", BaseURL: "https://api.example.com", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	c.hc.Transport.(*logTransport).next = own
	c.Close()
	assert.EqualValues(t, 1, own.closed.Load())
}

func TestReplayBodyAtTheLimit(t *testing.T) {
	s := newServer(t, status(200, `{}`))
	c := newClient(t, s.URL)
	body := bytes.Repeat([]byte("a"), MaxReplayBody)
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/x", io.NopCloser(bytes.NewReader(body)))
	req.GetBody = nil
	resp, err := c.DoAuth(req, &staticAuth{tok: "tok-1234"}, false)
	require.NoError(t, err, "a body of exactly MaxReplayBody bytes can be replayed")
	resp.Body.Close()
	assert.Len(t, s.bodies[0], MaxReplayBody)
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestTransportClosesTheBodyOnError(t *testing.T) {
	c := newClient(t, "https://api.example.com")
	body := &closeRecorder{Reader: strings.NewReader("x")}
	req, _ := http.NewRequest("POST", "https://elsewhere.example/x", body)
	_, err := c.Transport(&staticAuth{tok: "tok-1234"}, false).RoundTrip(req)
	require.Error(t, err)
	assert.True(t, body.closed)
}

func TestURLWithQueryOnly(t *testing.T) {
	c := newClient(t, "https://api.example.com")
	u := c.URL("?a=1", nil)
	assert.Equal(t, "/api/v1/", u.Path)
	assert.Equal(t, "a=1", u.RawQuery)
}

func TestAcceptHeader(t *testing.T) {
	s := newServer(t, status(200, `{}`))
	c := newClient(t, s.URL)
	_, err := c.Send(bg, Request{Method: "GET", Path: "/x"})
	require.NoError(t, err)
	_, err = c.Send(bg, Request{Method: "GET", Path: "/x", Header: http.Header{"Accept": {"text/plain"}}})
	require.NoError(t, err)
	assert.Equal(t, "application/json", s.requests[0].Header.Get("Accept"))
	assert.Equal(t, "text/plain", s.requests[1].Header.Get("Accept"), "a caller's Accept is kept")
}

func TestStatusBoundaries(t *testing.T) {
	for code, redirect := range map[int]bool{299: false, 300: true, 399: true, 400: false} {
		s := newServer(t, status(code, `{"message":"m"}`))
		_, err := newClient(t, s.URL).Send(bg, Request{Method: "GET", Path: "/x"})
		if code == 299 {
			assert.NoError(t, err, "299 is a success")
			continue
		}
		var ae *APIError
		require.ErrorAs(t, err, &ae, code)
		assert.Equal(t, redirect, ae.Message == "redirect not followed", code)
	}
}

func TestResponseWithoutRequest(t *testing.T) {
	tr := &recordingTransport{resp: func(*http.Request) *http.Response {
		return &http.Response{StatusCode: 400, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"message":"bad"}`))}
	}}
	c := newClient(t, "https://api.example.com", func(c *Config) { c.HTTPClient = &http.Client{Transport: tr} })
	_, err := c.Send(bg, Request{Method: "GET", Path: "/x"})
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "GET", ae.Method)
	assert.Equal(t, "/api/v1/x", ae.Path)
}

func TestTransportErrorText(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c := newClient(t, s.URL)
	ctx, cancel := context.WithTimeout(bg, 20*time.Millisecond)
	defer cancel()
	_, err := c.Send(ctx, Request{Method: "GET", Path: "/x?email=a@b.c"})
	require.Error(t, err)
	assert.Equal(t, "test: GET /api/v1/x: context deadline exceeded", err.Error())
}

func TestRetryAfterOn429And5xx(t *testing.T) {
	c := newClient(t, "https://api.example.com")
	for code, want := range map[int]time.Duration{429: 7 * time.Second, 503: 7 * time.Second, 500: 7 * time.Second, 499: 0, 400: 0, 404: 0} {
		e := c.ErrorFor(&Response{Header: http.Header{"Retry-After": {"7"}}}, code)
		assert.Equal(t, want, e.RetryAfter, code)
	}
}

func TestDecoderSkippedForEmptyBody(t *testing.T) {
	called := false
	c := newClient(t, "https://api.example.com", func(c *Config) {
		c.DecodeError = func(e *APIError, _ []byte) { called = true; e.Message = "decoded" }
	})
	e := c.ErrorFor(&Response{Header: http.Header{}}, 404)
	assert.False(t, called)
	assert.Equal(t, "Not Found", e.Message)
	e = c.ErrorFor(&Response{Header: http.Header{}, Body: []byte("x")}, 404)
	assert.True(t, called)
	assert.Equal(t, "decoded", e.Message)
}

func TestDecodeJSONContentTypes(t *testing.T) {
	c := newClient(t, "https://api.example.com")
	for ct, ok := range map[string]bool{
		"": true, "application/json": true, "application/json; charset=utf-8": true, "text/json": true,
		"application/problem+json": true, "text/html": false, "text/plain": false, "application/json;;": false,
	} {
		var v map[string]any
		err := c.DecodeJSON(&Response{Header: http.Header{"Content-Type": {ct}}, Body: []byte(`{"a":1}`)}, &v)
		assert.Equal(t, ok, err == nil, "%q: %v", ct, err)
	}
}

func TestRequestIDIsBounded(t *testing.T) {
	c := newClient(t, "https://api.example.com")
	exact := strings.Repeat("r", maxRequestIDLen)
	assert.Equal(t, exact, c.requestID(http.Header{"X-Request-Id": {exact}}))
	assert.Equal(t, exact, c.requestID(http.Header{"X-Request-Id": {exact + "rr"}}))
	assert.Equal(t, "cf", c.requestID(http.Header{"Cf-Ray": {"cf"}}))
}

func TestRetryAfterCapBoundary(t *testing.T) {
	c := newClient(t, "https://api.example.com", func(c *Config) { c.MaxRetryAfter = 2 * time.Second })
	resp := func(code int, ra string) *http.Response {
		return &http.Response{StatusCode: code, Header: http.Header{"Retry-After": {ra}}}
	}
	for _, code := range []int{429, 503} {
		ok, _ := c.checkRetry(bg, resp(code, "2"), nil, true)
		assert.True(t, ok, "%d: a Retry-After equal to the cap is waited", code)
		ok, _ = c.checkRetry(bg, resp(code, "3"), nil, true)
		assert.False(t, ok, "%d: beyond the cap returns at once", code)
	}
	ok, _ := c.checkRetry(bg, resp(503, "1"), nil, false)
	assert.False(t, ok, "503 only for calls that may be retried")
	ok, _ = c.checkRetry(bg, resp(429, "1"), nil, false)
	assert.True(t, ok, "429 for every call")
}

func TestBackoff(t *testing.T) {
	c := newClient(t, "https://api.example.com")
	for range 50 {
		assert.LessOrEqual(t, c.backoff(time.Millisecond, 4*time.Millisecond, 1, nil), 2*time.Millisecond)
		assert.LessOrEqual(t, c.backoff(time.Millisecond, 4*time.Millisecond, 5, nil), 4*time.Millisecond, "capped at max")
		assert.LessOrEqual(t, c.backoff(time.Millisecond, 4*time.Millisecond, 40, nil), 4*time.Millisecond, "no shift overflow")
	}
	assert.Zero(t, c.backoff(0, 0, 0, nil), "no wait allowed, none taken")
	assert.Equal(t, 2*time.Second, c.backoff(0, time.Millisecond, 0, &http.Response{Header: http.Header{"Retry-After": {"2"}}}),
		"a longer Retry-After wins")
	seen := map[time.Duration]bool{}
	for range 200 {
		seen[c.backoff(3, 3, 0, nil)] = true
	}
	assert.Len(t, seen, 4, "full jitter over [0, max]")
}

func TestParseRetryAfterBounds(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d, _ := ParseRetryAfter("86400", now)
	assert.Equal(t, 24*time.Hour, d)
	d, _ = ParseRetryAfter("86401", now)
	assert.Equal(t, 24*time.Hour, d, "capped at a day")
	d, ok := ParseRetryAfter(now.Add(-time.Hour).Format(http.TimeFormat), now)
	assert.True(t, ok)
	assert.Zero(t, d, "a date in the past is no wait")
	d, _ = ParseRetryAfter("1099511627777", now)
	assert.Equal(t, 24*time.Hour, d)
}

func TestLogLevels(t *testing.T) {
	var buf bytes.Buffer
	s := newServer(t, status(200, `{}`), status(404, `{}`), status(503, `{}`), status(200, `{}`))
	c := newClient(t, s.URL, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, _ = c.Send(bg, Request{Method: "GET", Path: "/ok"})
	_, _ = c.Send(bg, Request{Method: "GET", Path: "/missing"})
	_, _ = c.Send(bg, Request{Method: "GET", Path: "/retried", Retry: true})
	var levels []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m struct{ Level, Path string }
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		levels = append(levels, m.Level+" "+m.Path)
	}
	assert.Equal(t, []string{
		"DEBUG /api/v1/ok", "INFO /api/v1/missing", "INFO /api/v1/retried", "INFO /api/v1/retried",
	}, levels, "a plain success is Debug; a failure or a retry is Info")
}

func TestRedactorBoundaries(t *testing.T) {
	r := NewRedactor("abcd")
	assert.Equal(t, "x [redacted] y", r.Clean("x abcd y"), "a 4-byte secret is redacted")
	r.Remember("wxyz")
	assert.Equal(t, "[redacted]", r.Clean("wxyz"), "a 4-byte token is remembered")

	// The ring forgets the oldest first, and keeps wrapping.
	r = NewRedactor()
	tok := func(i int) string { return "token-" + strings.Repeat("x", i) }
	for i := range rememberTokens + 2 {
		r.Remember(tok(i))
	}
	assert.Equal(t, tok(0), r.Clean(tok(0)), "the oldest is forgotten")
	assert.Equal(t, tok(1), r.Clean(tok(1)))
	assert.Equal(t, "[redacted]", r.Clean(tok(2)))
	assert.Equal(t, "[redacted]", r.Clean(tok(rememberTokens+1)))
	for i := range rememberTokens {
		r.Remember(tok(1000 + i))
	}
	assert.Len(t, r.recent, rememberTokens)
	assert.Equal(t, "[redacted]", r.Clean(tok(1000)))
	assert.Equal(t, tok(rememberTokens+1), r.Clean(tok(rememberTokens+1)))
}

func TestCleanMessageLengthBoundary(t *testing.T) {
	exact := strings.Repeat("a", maxMessage)
	assert.Equal(t, exact, CleanMessage(exact, nil))
	assert.Equal(t, exact+"…", CleanMessage(exact+"b", nil))
	multi := strings.Repeat("a", maxMessage-1) + "é" // é straddles the limit
	out := CleanMessage(multi, nil)
	assert.Equal(t, strings.Repeat("a", maxMessage-1)+"…", out, "never cuts a rune in half")
}
