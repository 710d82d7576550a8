package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newBase(t *testing.T, base string, logger *slog.Logger) *Base {
	t.Helper()
	b, err := Build("test", Settings{BaseURL: base, Logger: logger}, nil, "sk_secret_key")
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestLifetime(t *testing.T) {
	d, err := Lifetime(3600, 0)
	require.NoError(t, err)
	assert.Equal(t, time.Hour, d)
	d, err = Lifetime(0.5, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 500*time.Millisecond, d)
	for _, bad := range []float64{0, -1, math.NaN(), math.Inf(1), 9.3e9, 366*24*3600 + 1} {
		_, err := Lifetime(bad, 0)
		assert.Error(t, err, "%v", bad)
	}
	_, err = Lifetime(2*3600, time.Hour)
	assert.Error(t, err, "a provider's lower ceiling applies")
	_, err = Lifetime(366*24*3600, 1000*24*time.Hour)
	assert.NoError(t, err, "a ceiling above MaxLifetime is MaxLifetime")
	_, err = Lifetime(367*24*3600, 1000*24*time.Hour)
	assert.Error(t, err)
}

func TestDeadline(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	got, err := Deadline(now.Add(time.Hour), now, 0)
	require.NoError(t, err)
	assert.Equal(t, now.Add(time.Hour), got)
	far := time.Date(33715, 1, 1, 0, 0, 0, 0, time.UTC)
	got, err = Deadline(far, now, 2*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, now.Add(2*time.Hour), got, "clamped to the provider's ceiling")
	got, err = Deadline(far, now, 0)
	require.NoError(t, err)
	assert.Equal(t, now.Add(MaxLifetime), got)
	_, err = Deadline(now, now, 0)
	assert.Error(t, err, "an expiry at or before now is refused")
}

func TestCheckTokenType(t *testing.T) {
	for _, ok := range []string{"", "Bearer", "bearer", "BEARER"} {
		assert.NoError(t, CheckTokenType(ok), ok)
	}
	for _, bad := range []string{"mac", "Basic", "bearer ", "DPoP"} {
		assert.Error(t, CheckTokenType(bad), bad)
	}
}

func TestAccessTokenDecoding(t *testing.T) {
	b := newBase(t, "https://api.example.com", nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	resp := func(body string) *httpx.Response {
		return &httpx.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body), Method: "POST", Path: "/oauth/token"}
	}
	tok, err := b.AccessToken(resp(`{"access_token":"abcd","token_type":"bearer","expires_in":60}`), now, 0)
	require.NoError(t, err)
	assert.Equal(t, tokencache.Token{Value: "abcd", Type: "Bearer", ExpiresAt: now.Add(time.Minute)}, tok)

	tok, err = b.AccessToken(resp(`{"access_token":"abcd"}`), now, time.Hour)
	require.NoError(t, err)
	assert.Equal(t, now.Add(time.Hour), tok.ExpiresAt, "no expires_in: the default lifetime")

	for name, body := range map[string]string{
		"no expires_in, no default": `{"access_token":"abcd"}`,
		"mac":                       `{"access_token":"abcd","token_type":"mac","expires_in":60}`,
		"overflow":                  `{"access_token":"abcd","expires_in":9.3e9}`,
		"zero":                      `{"access_token":"abcd","expires_in":0}`,
		"empty token":               `{"access_token":"","expires_in":60}`,
		"NUL in token":              `{"access_token":"ab\u0000cd","expires_in":60}`,
		"not JSON":                  `<html>`,
	} {
		_, err := b.AccessToken(resp(body), now, 0)
		assert.ErrorIs(t, err, httpx.ErrUnexpectedResponse, name)
	}
	_, err = b.AccessToken(resp(`{"access_token":"abcd","expires_in":0}`), now, time.Hour)
	assert.ErrorIs(t, err, httpx.ErrUnexpectedResponse, "a present but invalid expires_in is an error even with a default")
}

func TestStatusTables(t *testing.T) {
	for err, want := range map[error]int{
		httpx.ErrUnauthorized:                     401,
		fmt.Errorf("x: %w", httpx.ErrNotFound):    404,
		httpx.Invalid("p", "f", "r"):              400,
		errors.New("not yours"):                   403,
		fmt.Errorf("%w", httpx.ErrInvalidRequest): 400,
	} {
		assert.Equal(t, want, CallbackStatus(err), "%v", err)
	}
	for err, want := range map[error]int{
		httpx.Invalid("p", "ReturnURL", "r"):       400,
		&httpx.APIError{StatusCode: 404}:           404,
		&httpx.APIError{StatusCode: 429}:           503,
		fmt.Errorf("%w: x", tokencache.ErrBackoff): 503,
		&httpx.APIError{StatusCode: 500}:           502,
		&httpx.APIError{StatusCode: 401}:           502,
		errors.New("dial tcp: refused"):            502,
	} {
		assert.Equal(t, want, TokenStatus(err), "%v", err)
	}
}

func TestHandlerRefusalsAreLoggedWithoutSecrets(t *testing.T) {
	var logs bytes.Buffer
	b := newBase(t, "https://api.example.com", slog.New(slog.NewJSONHandler(&logs, nil)))
	b.HTTP.Redactor().Remember("tok-remembered-123")
	h := RedirectHandler(b, "test.Handler", func(r *http.Request) (string, error) {
		switch r.URL.Query().Get("as") {
		case "":
			return "", httpx.ErrUnauthorized
		case "field":
			return "field", nil
		case "js":
			return "js", nil
		}
		return "ok", nil
	}, func(_ context.Context, v string) (string, error) {
		switch v {
		case "field":
			return "", httpx.Invalid("test", "ReturnURL", "must not be empty")
		case "js":
			return "javascript:alert(1)", nil
		}
		return "https://pay.example/p?token=tok-remembered-123", nil
	})
	for target, want := range map[string]int{"/go": 401, "/go?as=field": 400, "/go?as=js": 502, "/go?as=ok": 303} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		assert.Equal(t, want, rec.Code, target)
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"), target)
		assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"), target)
		if want != 303 {
			assert.Empty(t, rec.Header().Get("Location"), target)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("DELETE", "/go", nil))
	assert.Equal(t, 405, rec.Code)
	assert.Equal(t, "GET, POST", rec.Header().Get("Allow"))

	out := logs.String()
	assert.Contains(t, out, `"level":"WARN"`)
	assert.Contains(t, out, `"field":"ReturnURL"`)
	assert.Contains(t, out, `"reason":"unusable page URL"`)
	assert.Contains(t, out, `"status":401`)
	assert.NotContains(t, out, "tok-remembered-123")
	assert.NotContains(t, out, "sk_secret_key")
	assert.NotContains(t, out, "javascript:")
}

func TestNilCallbackPanicsAtConstruction(t *testing.T) {
	b := newBase(t, "https://api.example.com", nil)
	assert.PanicsWithValue(t, "test.Handler: nil callback", func() {
		RedirectHandler[string](b, "test.Handler", nil, func(context.Context, string) (string, error) { return "", nil })
	})
}

func TestSourceWrapsCallerContextErrors(t *testing.T) {
	b := newBase(t, "https://api.example.com/api/v1", nil)
	release := make(chan struct{})
	defer close(release)
	s := b.Source("k", Call{Method: "POST", Path: "/auth/token"}, func(ctx context.Context) (tokencache.Token, error) {
		<-release
		return tokencache.Token{}, errors.New("never")
	}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := s.Token(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, "test: POST /api/v1/auth/token: context deadline exceeded", err.Error())
}

func TestMintedTokensAreRemembered(t *testing.T) {
	b := newBase(t, "https://api.example.com", nil)
	_, err := b.Token(context.Background(), "k", Call{Method: "GET", Path: "/t"}, func(context.Context) (tokencache.Token, error) {
		return tokencache.Token{Value: "minted-abcdef", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}, nil)
	require.NoError(t, err)
	assert.Equal(t, "x [redacted]", b.HTTP.Redactor().Clean("x minted-abcdef"))
}

func TestNoReuseMintsEveryTime(t *testing.T) {
	b, err := Build("test", Settings{BaseURL: "https://api.example.com", NoReuse: true}, nil)
	require.NoError(t, err)
	defer b.Close()
	n := 0
	for range 3 {
		_, err := b.Token(context.Background(), "k", Call{}, func(context.Context) (tokencache.Token, error) {
			n++
			return tokencache.Token{Value: fmt.Sprint("tok-", n), ExpiresAt: time.Now().Add(time.Hour)}, nil
		}, nil)
		require.NoError(t, err)
	}
	assert.Equal(t, 3, n)
}

func TestKeyHidesItsParts(t *testing.T) {
	k := Key("cartevo", "https://api", "client", "sk_secret_key")
	assert.NotContains(t, k, "sk_secret_key")
	assert.NotEqual(t, k, Key("cartevo", "https://api", "clientsk_secret_key"), "parts are separated")
	assert.Regexp(t, `^cartevo:[0-9a-f]{32}$`, k)
}

func TestRequire(t *testing.T) {
	assert.ErrorIs(t, Require("p", "clientID", " \t"), httpx.ErrInvalidRequest)
	assert.NoError(t, Require("p", "clientID", "x"))
}
