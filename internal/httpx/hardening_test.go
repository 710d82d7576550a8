package httpx

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/redact"
)

// staticAuth hands out one token and counts rejections.
type staticAuth struct {
	tok      string
	rejected atomic.Int32
}

func (a *staticAuth) BearerToken(context.Context) (string, error) { return a.tok, nil }
func (a *staticAuth) Reject(string) bool                          { a.rejected.Add(1); return true }

func TestRedirectsAreNeverFollowed(t *testing.T) {
	// elsewhere records anything that reaches it: nothing may.
	elsewhere := newServer(t, status(200, `{}`))
	for _, code := range []int{301, 302, 303, 307, 308} {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+"/steal", code)
		})
		for name, hc := range map[string]*http.Client{"default": nil, "caller's client": {}} {
			c := newClient(t, s.URL, func(c *Config) { c.HTTPClient = hc })

			_, err := c.Send(bg, Request{Method: "POST", Path: "/token", Body: []byte(`{"client_key":"sk_secret_value"}`),
				Header: http.Header{"X-Api-Key": {"sk_secret_value"}}, Retry: true})
			var ae *APIError
			require.ErrorAs(t, err, &ae, "%d %s", code, name)
			assert.Equal(t, code, ae.StatusCode)
			assert.ErrorIs(t, err, ErrUnexpectedResponse)
			assert.Contains(t, err.Error(), "redirect not followed")

			req, _ := http.NewRequest("GET", s.URL+"/api/v1/x", nil)
			_, err = c.DoAuth(req, &staticAuth{tok: "tok-123456"}, true)
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, code, ae.StatusCode)
			if hc != nil {
				assert.Nil(t, hc.CheckRedirect, "the caller's client is not modified")
			}
		}
	}
	assert.Zero(t, elsewhere.hits.Load(), "no request reached the redirect target")
}

func TestEchoedTokensAreRedacted(t *testing.T) {
	const access = "ACCESS-7f3a9c2e1b"
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	s := newServer(t, status(400, `{"message":"token `+access+` is not valid; also `+jwt+`"}`))
	var logs bytes.Buffer
	c := newClient(t, s.URL, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, err := c.Send(bg, Request{Method: "GET", Path: "/wallets", Auth: &staticAuth{tok: access}})
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.NotContains(t, err.Error(), access)
	assert.NotContains(t, err.Error(), jwt)
	assert.Contains(t, ae.Message, "token [redacted] is not valid")
	assert.NotContains(t, logs.String(), access)

	// A token minted earlier (remembered) is redacted too.
	c.Redactor().Remember("minted-token-abcdef")
	assert.Equal(t, "got [redacted]", c.Redactor().Clean("got minted-token-abcdef"))
}

func TestRedactorForgetsOldestBeyondItsBound(t *testing.T) {
	r := NewRedactor("sk_static")
	for i := range rememberTokens + 1 {
		r.Remember("tok-" + strings.Repeat("x", 4) + string(rune('A'+i%26)) + strings.Repeat("y", i))
	}
	assert.Len(t, r.order, rememberTokens)
	assert.Len(t, r.recent, rememberTokens)
	assert.Equal(t, "a [redacted] b", r.Clean("a sk_static b"), "credentials are never forgotten")
	r.Remember("abc") // too short to redact safely
	assert.Equal(t, "abc", r.Clean("abc"))
}

func TestRedactReplacesLongestSecretFirst(t *testing.T) {
	assert.Equal(t, "[redacted]", redact.Secrets("secret-long", []string{"secret", "secret-long"}))
}

func TestPathQueryReachesTheProvider(t *testing.T) {
	s := newServer(t, status(200, `{}`))
	c := newClient(t, s.URL)
	u := c.URL("/wallets?limit=1&currency=XAF", url.Values{"page": {"2"}})
	assert.Equal(t, "/api/v1/wallets", u.Path)
	assert.Equal(t, "limit=1&currency=XAF&page=2", u.RawQuery)
	_, err := c.Send(bg, Request{Method: "GET", Path: "/wallets?limit=1&currency=XAF"})
	require.NoError(t, err)
	assert.Equal(t, "/api/v1/wallets", s.requests[0].URL.Path)
	assert.Equal(t, "XAF", s.requests[0].URL.Query().Get("currency"))
}

func TestRetryPolicyIsChosenPerCall(t *testing.T) {
	s := newServer(t, status(500, `{}`), status(200, `{}`))
	c := newClient(t, s.URL)
	_, err := c.Send(bg, Request{Method: "POST", Path: "/x"})
	assert.Error(t, err, "a call not marked Retry is not retried on 500")
	assert.EqualValues(t, 1, s.hits.Load())
	_, err = c.Send(bg, Request{Method: "POST", Path: "/x", Retry: true})
	assert.NoError(t, err, "the same client retries a call marked Retry")
	assert.EqualValues(t, 2, s.hits.Load())

	s429 := newServer(t, status(429, `{}`), status(200, `{}`))
	_, err = newClient(t, s429.URL).Send(bg, Request{Method: "POST", Path: "/x"})
	assert.NoError(t, err, "429 is retried for every call")
}

func TestLogsCarryStatusAndDuration(t *testing.T) {
	var buf bytes.Buffer
	s := newServer(t, status(503, `{}`), status(200, `{}`))
	c := newClient(t, s.URL, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, err := c.Send(bg, Request{Method: "GET", Path: "/x?email=a@b.c", Retry: true})
	require.NoError(t, err)
	out := buf.String()
	assert.Contains(t, out, `"status":503`)
	assert.Contains(t, out, `"status":200`)
	assert.Contains(t, out, `"attempt":2`)
	assert.Contains(t, out, `"duration":`)
	assert.Contains(t, out, `"host":"`+strings.TrimPrefix(s.URL, "http://")+`"`)
	assert.NotContains(t, out, "a@b.c")
}

func TestContextErrorsNameTheCall(t *testing.T) {
	c := newClient(t, "https://api.example.com")
	err := c.WrapContextError(context.DeadlineExceeded, "POST", "/api/v1/auth/token")
	assert.Equal(t, "test: POST /api/v1/auth/token: context deadline exceeded", err.Error())
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, c.WrapContextError(context.Canceled, "GET", "/x"), context.Canceled)
	other := errors.New("boom")
	assert.Same(t, other, c.WrapContextError(other, "GET", "/x"))

	// A caller that gives up while waiting for a token gets the call named.
	auth := authFunc(func(ctx context.Context) (string, error) { <-ctx.Done(); return "", ctx.Err() })
	ctx, cancel := context.WithTimeout(bg, 10*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://api.example.com/api/v1/wallets", nil)
	_, err = c.DoAuth(req, auth, false)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "test: GET /api/v1/wallets: ")
}

type authFunc func(ctx context.Context) (string, error)

func (f authFunc) BearerToken(ctx context.Context) (string, error) { return f(ctx) }
func (f authFunc) Reject(string) bool                              { return true }

func TestBearerTokenWithControlCharactersIsRefused(t *testing.T) {
	s := newServer(t, status(200, `{}`))
	c := newClient(t, s.URL)
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/x", nil)
	_, err := c.DoAuth(req, &staticAuth{tok: "abc\x00def"}, false)
	assert.ErrorIs(t, err, ErrUnexpectedResponse)
	assert.Zero(t, s.hits.Load())
}

func TestCheckToken(t *testing.T) {
	assert.NoError(t, CheckToken("eyJ.abc-_~+/="))
	for _, bad := range []string{"", "a b", "a\x00b", "a\nb", "a\tb", "a\u0085b"} {
		assert.Error(t, CheckToken(bad), "%q", bad)
	}
}

func TestTransportSendsTheTokenToTheProviderOnly(t *testing.T) {
	var seen atomic.Value
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") != "Bearer tok-2" {
			w.WriteHeader(401)
			return
		}
	})
	other := newServer(t, status(200, `{}`))
	c := newClient(t, s.URL)
	src, mints := newSource(t, func(n int) string { return "tok-" + string(rune('0'+n)) })
	_, _ = src.Token(bg)
	hc := &http.Client{Transport: c.Transport(src, false)}

	resp, err := hc.Post(s.URL+"/api/v1/echo", "text/plain", strings.NewReader("body"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, []string{"body", "body"}, s.bodies, "the body is replayed after the 401")
	assert.EqualValues(t, 2, mints.Load(), "one refresh")

	_, err = hc.Get(other.URL + "/api/v1/x")
	assert.ErrorIs(t, err, ErrInvalidRequest)
	assert.Zero(t, other.hits.Load(), "nothing, and so no token, went to another host")
}

func TestConfigIsValidated(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"MaxAttempts":     func(c *Config) { c.MaxAttempts = -1 },
		"MinWait/MaxWait": func(c *Config) { c.MinWait, c.MaxWait = time.Second, time.Millisecond },
		"MaxRetryAfter":   func(c *Config) { c.MaxRetryAfter = -time.Second },
	} {
		cfg := Config{Provider: "p", BaseURL: "https://api.example.com"}
		mod(&cfg)
		_, err := New(cfg)
		require.ErrorIs(t, err, ErrInvalidRequest, name)
		assert.Contains(t, err.Error(), name)
	}
	_, err := New(Config{Provider: "p", BaseURL: "https://api.example.com", MinWait: time.Second, MaxWait: time.Second})
	assert.NoError(t, err, "min equal to max is fine")
}

func TestLongRetryAfterOnServerErrorsIsNotWaited(t *testing.T) {
	c := newClient(t, "https://api.example.com", func(c *Config) { c.MaxRetryAfter = 2 * time.Second })
	for _, code := range []int{500, 502, 503, 504} {
		resp := &http.Response{StatusCode: code, Header: http.Header{"Retry-After": {"60"}}}
		ok, _ := c.checkRetry(bg, resp, nil, true)
		assert.False(t, ok, "%d with Retry-After: 60 returns at once", code)
		resp.Header.Set("Retry-After", "1")
		ok, _ = c.checkRetry(bg, resp, nil, true)
		assert.True(t, ok, "%d within the cap is retried", code)
	}
	s := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(500)
	})
	start := time.Now()
	_, err := newClient(t, s.URL).Send(bg, Request{Method: "POST", Path: "/x", Retry: true})
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, time.Minute, ae.RetryAfter, "the hint is kept for the cache's backoff")
	assert.Less(t, time.Since(start), time.Second)
	assert.EqualValues(t, 1, s.hits.Load())
}

func TestDoAuthClosesTheCallersBody(t *testing.T) {
	s := newServer(t, status(200, `{}`))
	c := newClient(t, s.URL)
	body := &closeRecorder{Reader: strings.NewReader("payload")}
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/x", body)
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("payload")), nil }
	resp, err := c.Transport(&staticAuth{tok: "tok-1234"}, false).RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.True(t, body.closed, "a RoundTripper closes the request body, also on success")
	assert.Equal(t, []string{"payload"}, s.bodies)
}
