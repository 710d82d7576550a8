package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/checkoutkit/checkoutkit/tokencache"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var bg = context.Background()

// server answers with the handlers in turn (the last one repeats) and
// counts requests.
type server struct {
	*httptest.Server
	hits     atomic.Int64
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
}

func newServer(t *testing.T, handlers ...http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.hits.Add(1))
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.requests = append(s.requests, r)
		s.bodies = append(s.bodies, string(b))
		s.mu.Unlock()
		handlers[min(n, len(handlers))-1](w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

func newClient(t *testing.T, base string, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Provider: "test",
		BaseURL:  base + "/api/v1",
		MinWait:  time.Millisecond,
		MaxWait:  5 * time.Millisecond,
		DecodeError: func(e *APIError, body []byte) {
			var v struct{ Message, Code string }
			if json.Unmarshal(body, &v) == nil {
				e.Message, e.Code = v.Message, v.Code
			}
		},
		Secrets: []string{"sk_secret_value"},
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(c.hc.CloseIdleConnections)
	return c
}

func TestParseBaseURL(t *testing.T) {
	good := map[string]string{
		"https://api.cartevo.co/api/v1":  "https://api.cartevo.co/api/v1",
		"https://api.cartevo.co/api/v1/": "https://api.cartevo.co/api/v1",
		"http://127.0.0.1:8080":          "http://127.0.0.1:8080",
		"http://localhost:1/x":           "http://localhost:1/x",
		"http://[::1]:9/":                "http://[::1]:9",
	}
	for in, want := range good {
		u, err := ParseBaseURL("p", in)
		require.NoError(t, err, in)
		assert.Equal(t, want, u.String())
	}
	bad := map[string]string{
		"":                             "must not be empty",
		"   ":                          "must not be empty",
		"api.cartevo.co":               "scheme must be https",
		"ftp://api.cartevo.co":         "scheme must be https",
		"http://api.cartevo.co":        "http is allowed only for loopback",
		"http://10.0.0.1":              "http is allowed only for loopback",
		"http://evil.localhost":        "http is allowed only for loopback",
		"https://":                     "missing host",
		"https://user:pw@api.x.co":     "user info",
		"https://api.x.co/?key=secret": "query or fragment",
		"https://api.x.co/#frag":       "query or fragment",
		"https://api.x.co/%zz":         "not a URL",
	}
	for in, want := range bad {
		_, err := ParseBaseURL("p", in)
		require.Error(t, err, in)
		assert.ErrorIs(t, err, ErrInvalidRequest)
		assert.Contains(t, err.Error(), "WithBaseURL", in)
		assert.Contains(t, err.Error(), want, in)
		if strings.Contains(in, "secret") || strings.Contains(in, "pw") {
			assert.NotContains(t, err.Error(), "secret")
			assert.NotContains(t, err.Error(), "pw@")
		}
	}
}

func TestSendSuccessShapesRequest(t *testing.T) {
	s := newServer(t, status(201, `{"ok":true}`))
	c := newClient(t, s.URL)
	resp, err := c.Send(bg, Request{
		Method: http.MethodPost, Path: "/auth/token",
		Header: http.Header{"X-Key": {"k"}}, Body: []byte(`{"a":1}`), ContentType: "application/json",
	})
	require.NoError(t, err)
	assert.Equal(t, 201, resp.StatusCode)
	assert.JSONEq(t, `{"ok":true}`, string(resp.Body))
	r := s.requests[0]
	assert.Equal(t, "/api/v1/auth/token", r.URL.Path)
	assert.Equal(t, "k", r.Header.Get("X-Key"))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.Equal(t, UserAgent, r.Header.Get("User-Agent"))
	assert.Equal(t, `{"a":1}`, s.bodies[0])
}

func TestSendRetriesTransientStatuses(t *testing.T) {
	for _, code := range []int{500, 502, 503, 504, 429} {
		s := newServer(t, status(code, `{}`), status(code, `{}`), status(200, `{}`))
		c := newClient(t, s.URL)
		_, err := c.Send(bg, Request{Method: "POST", Path: "/x", Retry: true, Body: []byte("b")})
		require.NoError(t, err, code)
		assert.EqualValues(t, 3, s.hits.Load(), code)
		assert.Equal(t, []string{"b", "b", "b"}, s.bodies, "body replayed on %d", code)
	}
}

func TestSendGivesUpAfterMaxAttempts(t *testing.T) {
	s := newServer(t, status(503, `{"message":"down"}`))
	c := newClient(t, s.URL, func(c *Config) { c.MaxAttempts = 4 })
	_, err := c.Send(bg, Request{Method: "GET", Path: "/x", Retry: true})
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 503, ae.StatusCode)
	assert.Equal(t, "down", ae.Message)
	assert.EqualValues(t, 4, s.hits.Load())
}

func TestSendNeverRetriesClientErrors(t *testing.T) {
	for code, sentinel := range map[int]error{
		400: ErrInvalidRequest, 401: ErrUnauthorized, 403: ErrUnauthorized,
		404: ErrNotFound, 409: nil, 422: ErrInvalidRequest,
	} {
		s := newServer(t, status(code, `{"message":"no","code":"E1"}`))
		c := newClient(t, s.URL)
		_, err := c.Send(bg, Request{Method: "GET", Path: "/x", Retry: true})
		var ae *APIError
		require.ErrorAs(t, err, &ae, code)
		assert.Equal(t, code, ae.StatusCode)
		assert.Equal(t, "E1", ae.Code)
		if sentinel != nil {
			assert.ErrorIs(t, err, sentinel, code)
		}
		for _, other := range []error{ErrInvalidRequest, ErrUnauthorized, ErrNotFound, ErrRateLimited} {
			if other != sentinel {
				assert.NotErrorIs(t, err, other, code)
			}
		}
		assert.EqualValues(t, 1, s.hits.Load(), "no retry on %d", code)
	}
}

func TestRetryAfterWithinCapIsWaited(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(429)
	}, status(200, `{}`))
	c := newClient(t, s.URL)
	start := time.Now()
	_, err := c.Send(bg, Request{Method: "GET", Path: "/x", Retry: true})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond)
}

func TestRetryAfterBeyondCapReturnsAtOnce(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.Header().Set("X-Request-Id", "req-42")
		w.WriteHeader(429)
	})
	c := newClient(t, s.URL)
	start := time.Now()
	_, err := c.Send(bg, Request{Method: "POST", Path: "/x", Retry: true})
	assert.Less(t, time.Since(start), time.Second)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.ErrorIs(t, err, ErrRateLimited)
	assert.Equal(t, 120*time.Second, ae.RetryAfter)
	assert.Equal(t, 120*time.Second, ae.RetryAfterHint())
	assert.Equal(t, "req-42", ae.RequestID)
	assert.EqualValues(t, 1, s.hits.Load())
	var hinter tokencache.RetryHinter
	assert.ErrorAs(t, err, &hinter, "the cache sees the hint")
	assert.Equal(t, "test: POST /api/v1/x: 429 Too Many Requests (retry after 2m0s) (request id req-42)", err.Error())
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"0": 0, "7": 7 * time.Second, "99999999999": 24 * time.Hour,
		now.Add(30 * time.Second).Format(http.TimeFormat): 30 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
	} {
		d, ok := ParseRetryAfter(in, now)
		assert.True(t, ok, in)
		assert.Equal(t, want, d, in)
	}
	for _, in := range []string{"", "soon", "-5", "1.5"} {
		_, ok := ParseRetryAfter(in, now)
		assert.False(t, ok, in)
	}
}

func TestStorm429GivesUp(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(429) })
	c := newClient(t, s.URL)
	_, err := c.Send(bg, Request{Method: "GET", Path: "/x", Retry: true})
	assert.ErrorIs(t, err, ErrRateLimited)
	assert.EqualValues(t, DefaultMaxAttempts, s.hits.Load())
}

func TestBodyLimit(t *testing.T) {
	big := strings.Repeat("x", 2<<20)
	s := newServer(t, status(200, big))
	c := newClient(t, s.URL, func(c *Config) { c.MaxBody = 1 << 20 })
	_, err := c.Send(bg, Request{Method: "GET", Path: "/x", Retry: true})
	assert.ErrorIs(t, err, ErrResponseTooLarge)
	assert.Less(t, len(err.Error()), 200)

	s2 := newServer(t, status(500, big))
	_, err = newClient(t, s2.URL, func(c *Config) { c.MaxAttempts = 1 }).Send(bg, Request{Method: "GET", Path: "/x", Retry: true})
	assert.ErrorIs(t, err, ErrResponseTooLarge, "error bodies are bounded too")
}

func TestDroppedConnectionIsRetriedThenTyped(t *testing.T) {
	drop := func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	s := newServer(t, drop, status(200, `{}`))
	c := newClient(t, s.URL)
	_, err := c.Send(bg, Request{Method: "POST", Path: "/x", Retry: true, Query: map[string][]string{"email": {"a@b.c"}}})
	require.NoError(t, err)
	assert.EqualValues(t, 2, s.hits.Load())

	s2 := newServer(t, drop)
	_, err = newClient(t, s2.URL).Send(bg, Request{Method: "GET", Path: "/x", Retry: true, Query: map[string][]string{"email": {"a@b.c"}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "test: GET /api/v1/x")
	assert.NotContains(t, err.Error(), "a@b.c", "no query in errors")
	assert.NotContains(t, err.Error(), "email")
	var ae *APIError
	assert.False(t, errors.As(err, &ae))
}

func TestTruncatedBody(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, `{"access_token":"ab`)
	})
	_, err := newClient(t, s.URL).Send(bg, Request{Method: "GET", Path: "/x", Retry: true})
	require.Error(t, err)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestContextWinsOverRetries(t *testing.T) {
	s := newServer(t, status(503, `{}`))
	c := newClient(t, s.URL, func(c *Config) { c.MinWait, c.MaxWait, c.MaxAttempts = time.Second, time.Second, 10 })
	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Send(ctx, Request{Method: "GET", Path: "/x", Retry: true})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 500*time.Millisecond)
}

func TestHangingServerHonoursContext(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	_, err := newClient(t, s.URL).Send(ctx, Request{Method: "GET", Path: "/x", Retry: true})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestWithHTTPClientIsCopied(t *testing.T) {
	hc := &http.Client{Timeout: 3 * time.Second}
	c := newClient(t, "https://api.example.com", func(c *Config) { c.HTTPClient = hc })
	assert.NotSame(t, hc, c.hc)
	assert.Equal(t, 3*time.Second, c.hc.Timeout)
	assert.Nil(t, hc.Transport, "caller's client untouched")

	d := newClient(t, "https://api.example.com")
	tr, ok := d.hc.Transport.(*http.Transport)
	require.True(t, ok)
	assert.Equal(t, DefaultHeaderTimeout, tr.ResponseHeaderTimeout)
	assert.NotSame(t, http.DefaultTransport, tr)
}

func TestAPIErrorMessagesAreCleaned(t *testing.T) {
	msg := "bad key sk_secret_value\nrejected " + strings.Repeat("é", 400)
	s := newServer(t, status(401, `{"message":`+mustJSON(msg)+`}`))
	_, err := newClient(t, s.URL).Send(bg, Request{Method: "GET", Path: "/x"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "sk_secret_value")
	assert.NotContains(t, err.Error(), "\n")
	assert.Less(t, len(err.Error()), 400)
	assert.True(t, strings.HasSuffix(err.Error(), "…"))
}

func TestHTMLErrorPage(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		io.WriteString(w, "<html><body>Bad gateway sk_secret_value</body></html>")
	})
	_, err := newClient(t, s.URL, func(c *Config) { c.MaxAttempts = 1 }).Send(bg, Request{Method: "GET", Path: "/x"})
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "Bad Gateway", ae.Message)
	assert.NotContains(t, err.Error(), "<html>")
}

func TestFieldError(t *testing.T) {
	err := Invalid("cartevo", "clientID", "must not be empty")
	assert.ErrorIs(t, err, ErrInvalidRequest)
	assert.Equal(t, "cartevo: invalid clientID: must not be empty", err.Error())
}

func TestAPIErrorKind(t *testing.T) {
	kind := errors.New("tenant not found")
	err := error(&APIError{Provider: "p", StatusCode: 404, Kind: kind})
	assert.ErrorIs(t, err, kind)
	assert.ErrorIs(t, err, ErrNotFound)
}

// sourceAuth is an Auth over a tokencache.Source, as the providers have.
type sourceAuth struct{ *tokencache.Source }

func (a sourceAuth) BearerToken(ctx context.Context) (string, error) {
	t, err := a.Token(ctx)
	return t.Value, err
}

func (a sourceAuth) Reject(v string) bool { a.Invalidate(tokencache.Token{Value: v}); return true }

func newSource(t *testing.T, mint func(n int) string) (sourceAuth, *atomic.Int64) {
	t.Helper()
	c := tokencache.New()
	t.Cleanup(func() { c.Close() })
	var n atomic.Int64
	return sourceAuth{c.Source("k", func(context.Context) (tokencache.Token, error) {
		return tokencache.Token{Value: mint(int(n.Add(1))), Type: "Bearer", ExpiresAt: time.Now().Add(time.Hour)}, nil
	})}, &n
}

// TestRefreshOnceOn401 is the one table for the 401 refresh-and-retry that
// every authenticated path shares: Send with Auth (Call, the checkout
// init), DoAuth (Do) and Transport (HTTPClient).
func TestRefreshOnceOn401(t *testing.T) {
	paths := map[string]func(c *Client, base string, auth Auth) (int, error){
		"Send": func(c *Client, _ string, auth Auth) (int, error) {
			r, err := c.Send(bg, Request{Method: "POST", Path: "/wallets", Body: []byte(`{"amount":5}`), Auth: auth})
			var ae *APIError
			if errors.As(err, &ae) {
				return ae.StatusCode, nil
			}
			if err != nil {
				return 0, err
			}
			return r.StatusCode, nil
		},
		"DoAuth": func(c *Client, base string, auth Auth) (int, error) {
			req, _ := http.NewRequest("POST", base+"/api/v1/wallets", strings.NewReader(`{"amount":5}`))
			req.Header.Set("X-Trace", "1")
			resp, err := c.DoAuth(req, auth, false)
			if err != nil {
				return 0, err
			}
			resp.Body.Close()
			assert.Empty(t, req.Header.Get("Authorization"), "caller's request untouched")
			return resp.StatusCode, nil
		},
		"Transport": func(c *Client, base string, auth Auth) (int, error) {
			resp, err := (&http.Client{Transport: c.Transport(auth, false)}).Post(base+"/api/v1/wallets", "application/json", strings.NewReader(`{"amount":5}`))
			if err != nil {
				return 0, err
			}
			resp.Body.Close()
			return resp.StatusCode, nil
		},
	}
	for name, send := range paths {
		t.Run(name, func(t *testing.T) {
			var valid atomic.Value
			valid.Store("tok-2")
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer "+valid.Load().(string) {
					w.WriteHeader(401)
					return
				}
				io.WriteString(w, "{}")
			})
			c := newClient(t, s.URL)
			src, mints := newSource(t, func(n int) string { return "tok-" + strconv.Itoa(n) })
			_, _ = src.Token(bg) // tok-1 cached, then refused by the server

			code, err := send(c, s.URL, src)
			require.NoError(t, err)
			assert.Equal(t, 200, code)
			assert.EqualValues(t, 2, mints.Load(), "one refresh")
			assert.Equal(t, []string{`{"amount":5}`, `{"amount":5}`}, s.bodies, "body replayed")

			// Concurrent 401s for one token: one refresh between them.
			valid.Store("tok-3")
			var wg sync.WaitGroup
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					code, err := send(c, s.URL, src)
					assert.NoError(t, err)
					assert.Equal(t, 200, code)
				}()
			}
			wg.Wait()
			assert.EqualValues(t, 3, mints.Load(), "20 concurrent 401s, one refresh")

			// A second 401 comes back as is, after exactly one refresh.
			valid.Store("never")
			code, err = send(c, s.URL, src)
			require.NoError(t, err)
			assert.Equal(t, 401, code)
			assert.EqualValues(t, 4, mints.Load())
		})
	}
}

func TestDoAuthRefusesForeignHost(t *testing.T) {
	c := newClient(t, "https://api.cartevo.co")
	src, mints := newSource(t, func(int) string { return "t" })
	for _, u := range []string{"https://evil.example/api", "http://api.cartevo.co/x", "https://api.cartevo.co:444/x"} {
		req, _ := http.NewRequest("GET", u, nil)
		_, err := c.DoAuth(req, src, false)
		assert.ErrorIs(t, err, ErrInvalidRequest, u)
	}
	assert.EqualValues(t, 0, mints.Load(), "no token minted for a refused request")
}

func TestDoAuthRetriesOnlyIdempotentUnlessAsked(t *testing.T) {
	s := newServer(t, status(500, `{}`), status(200, `{}`))
	c := newClient(t, s.URL)
	src, _ := newSource(t, func(int) string { return "t" })
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/x", strings.NewReader("b"))
	resp, err := c.DoAuth(req, src, false)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 500, resp.StatusCode, "POST not retried")
	assert.EqualValues(t, 1, s.hits.Load())

	s2 := newServer(t, status(500, `{}`), status(200, `{}`))
	c2 := newClient(t, s2.URL)
	req, _ = http.NewRequest("POST", s2.URL+"/api/v1/x", strings.NewReader("b"))
	resp, err = c2.DoAuth(req, src, true)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "opted in")
	assert.Equal(t, []string{"b", "b"}, s2.bodies)

	s3 := newServer(t, status(502, `{}`), status(200, `{}`))
	req, _ = http.NewRequest("GET", s3.URL+"/api/v1/x", nil)
	resp, err = newClient(t, s3.URL).DoAuth(req, src, false)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "GET retried")
}

func TestDoAuthBodyTooLargeToReplay(t *testing.T) {
	c := newClient(t, "https://api.cartevo.co")
	src, _ := newSource(t, func(int) string { return "t" })
	req, _ := http.NewRequest("POST", "https://api.cartevo.co/x", io.NopCloser(bytes.NewReader(make([]byte, MaxReplayBody+1))))
	req.GetBody = nil
	_, err := c.DoAuth(req, src, false)
	assert.ErrorIs(t, err, ErrInvalidRequest)
}

func TestLogsAreMetadataOnly(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newServer(t, status(401, `{}`), status(503, `{}`), status(200, `{}`))
	c := newClient(t, s.URL, func(c *Config) { c.Logger = logger })
	src, _ := newSource(t, func(n int) string { return "sk_secret_value" + strconv.Itoa(n) })
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/x?email=a@b.c", nil)
	resp, err := c.DoAuth(req, src, false)
	require.NoError(t, err)
	resp.Body.Close()
	out := buf.String()
	assert.Contains(t, out, `"path":"/api/v1/x"`)
	assert.Contains(t, out, `"attempt":2`)
	assert.Contains(t, out, "refreshing once")
	assert.NotContains(t, out, "sk_secret_value")
	assert.NotContains(t, out, "a@b.c")
	assert.NotContains(t, out, "Bearer")
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	_, err := New(Config{Provider: "p", BaseURL: "http://example.com"})
	assert.ErrorIs(t, err, ErrInvalidRequest)
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestSkipBackoffByStatus(t *testing.T) {
	for code, skip := range map[int]bool{400: true, 404: true, 409: true, 422: true, 401: false, 403: false, 429: false, 500: false, 503: false} {
		var s tokencache.BackoffSkipper = &APIError{StatusCode: code}
		assert.Equal(t, skip, s.SkipBackoff(), code)
	}
}

func TestCleanMessageRedactsAfterFoldingControls(t *testing.T) {
	// A provider echoing a secret split by a newline must not get it past
	// redaction once the newline becomes a space.
	out := CleanMessage("bad key sk live\nvalue!", []string{"sk live value"})
	assert.NotContains(t, out, "sk live value")
	assert.Equal(t, "bad key [redacted]!", out)
}
