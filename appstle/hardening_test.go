package appstle_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// Issue 10 #1: strings.ToLower folded the Kelvin sign (U+212A) to "k" and
// U+0130 to "i", so two customers' addresses shared one cached token.
func TestNonASCIIEmailsAreSeparateCacheEntries(t *testing.T) {
	c, srv, _ := fakeClient(t,
		appstletest.WithCustomer(2001, "kate@example.com"), appstletest.WithCustomer(2002, "\u212Aate@example.com"),
		appstletest.WithCustomer(2003, "ian@example.com"), appstletest.WithCustomer(2004, "\u0130an@example.com"))
	for _, pair := range [][2]string{{"kate@example.com", "\u212Aate@example.com"}, {"ian@example.com", "\u0130an@example.com"}} {
		before := srv.PortalTokens()
		ascii, err := c.PortalToken(bg, appstle.PortalTokenRequest{Email: pair[0]})
		require.NoError(t, err)
		other, err := c.PortalToken(bg, appstle.PortalTokenRequest{Email: pair[1]})
		require.NoError(t, err, pair[1])
		assert.Equal(t, before+2, srv.PortalTokens(), "%q and %q are two customers: two mints", pair[0], pair[1])
		assert.NotEqual(t, ascii.Token, other.Token, pair[1])
		assert.NotEqual(t, ascii.CustomerID, other.CustomerID, pair[1])

		// ASCII case still folds: one customer, one entry.
		upper, err := c.PortalToken(bg, appstle.PortalTokenRequest{Email: strings.ToUpper(pair[0][:1]) + pair[0][1:]})
		require.NoError(t, err)
		assert.Equal(t, ascii.Token, upper.Token)
		assert.Equal(t, before+2, srv.PortalTokens())
	}
}

func TestNonASCIIEmailsAreSeparateCacheEntriesMock(t *testing.T) {
	c, mt, _ := mockClient(t)
	var n atomic.Int32
	mt.RegisterResponder(http.MethodGet, tokenURL, func(r *http.Request) (*http.Response, error) {
		return respond(200, "application/json", fmt.Sprintf(`{"customerId": 12345, "token": "opaque-%d-%s"}`, n.Add(1), r.URL.Query().Get("email")))(r)
	})
	kate, err := c.PortalToken(bg, appstle.PortalTokenRequest{Email: "kate@example.com"})
	require.NoError(t, err)
	kelvin, err := c.PortalToken(bg, appstle.PortalTokenRequest{Email: "\u212Aate@example.com"})
	require.NoError(t, err)
	upper, err := c.PortalToken(bg, appstle.PortalTokenRequest{Email: "KATE@example.com"})
	require.NoError(t, err)
	ian, err := c.PortalToken(bg, appstle.PortalTokenRequest{Email: "ian@example.com"})
	require.NoError(t, err)
	dotted, err := c.PortalToken(bg, appstle.PortalTokenRequest{Email: "\u0130an@example.com"})
	require.NoError(t, err)
	assert.NotEqual(t, kate.Token, kelvin.Token)
	assert.Equal(t, kate.Token, upper.Token, "ASCII case folds")
	assert.NotEqual(t, ian.Token, dotted.Token)
	assert.Equal(t, 4, mt.GetTotalCallCount(), "kate, Kelvin-kate, ian, İan: four mints")
}

// jsonLogs returns a logger that records everything, as JSON, into buf.
func jsonLogs() (*slog.Logger, *logBuffer) {
	buf := new(logBuffer)
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// logBuffer is a bytes.Buffer safe to read while background goroutines log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Issue 10 #2: a token the SDK minted, echoed back in an error body, is
// redacted from the error and the logs (an opaque one, which no JWT
// pattern would catch), as is the API key.
func TestEchoedTokenAndKeyAreRedacted(t *testing.T) {
	const minted = "portal-OPAQUE-5f4e3d2c1b0a9988"
	const key = "apst_live_ECHOED_key_424242"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		switch {
		case r.URL.Path == "/api/external/v2/customer-portal-token" && r.URL.Query().Get("customerId") == "1":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"customerId": 1, "token": "`+minted+`"}`)
		case r.URL.Path == "/api/external/v2/customer-portal-token":
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"title":"Forbidden","detail":"token `+minted+` belongs to customer 1; key `+r.Header.Get("X-API-Key")+` may not ask"}`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"title":"token `+minted+` is not valid","status":400}`)
		}
	}))
	defer api.Close()
	logger, logs := jsonLogs()
	c, err := appstle.New(key, appstle.WithBaseURL(api.URL), appstle.WithLogger(logger))
	require.NoError(t, err)
	defer c.Close()

	tok, err := c.PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "1"})
	require.NoError(t, err)
	require.Equal(t, minted, tok.Token)

	_, err = c.PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "2"})
	require.ErrorIs(t, err, appstle.ErrUnauthorized)
	assert.Contains(t, err.Error(), "token [redacted] belongs to customer 1", "the provider's message is kept, redacted")
	_, err2 := c.ManageSubscriptionLink(bg, "2")
	require.ErrorIs(t, err2, appstle.ErrInvalidRequest)

	for _, out := range []string{err.Error(), fmt.Sprintf("%+v", err), err2.Error(), logs.String()} {
		assert.NotContains(t, out, minted)
		assert.NotContains(t, out, key)
	}
	assert.Contains(t, logs.String(), `"level":"DEBUG"`, "the logger did record")
}

// Issue 10 #3: a redirect from a credentialed call is an error naming the
// 3xx; nothing, and no X-API-Key, reaches the other host. Also with a
// caller's client that has no CheckRedirect.
func TestRedirectIsNotFollowed(t *testing.T) {
	var stolen atomic.Int32
	var stolenKey atomic.Value
	thief := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		stolenKey.Store(r.Header.Get("X-API-Key"))
	}))
	defer thief.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, thief.URL+r.URL.Path+"?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
	}))
	defer api.Close()
	for name, hc := range map[string]*http.Client{"default client": nil, "caller's client": {}} {
		t.Run(name, func(t *testing.T) {
			c, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(api.URL), appstle.WithHTTPClient(hc))
			require.NoError(t, err)
			defer c.Close()
			_, err = c.PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "12345"})
			var ae *appstle.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, http.StatusTemporaryRedirect, ae.StatusCode)
			assert.Contains(t, err.Error(), "307")
			assert.ErrorIs(t, err, appstle.ErrUnexpectedResponse)
			assert.NotContains(t, err.Error(), appstletest.APIKey)

			_, err = c.ManageSubscriptionLink(bg, "12345")
			assert.ErrorIs(t, err, appstle.ErrUnexpectedResponse)
			assert.ErrorIs(t, c.SendPortalMagicLink(bg, appstletest.Email), appstle.ErrUnexpectedResponse)
		})
	}
	assert.Zero(t, stolen.Load(), "the other server received nothing")
	assert.Nil(t, stolenKey.Load())
}

// recordingStore is a Store that keeps what the cache saves.
type recordingStore struct {
	mu    sync.Mutex
	saved map[string]tokencache.Entry
}

func (s *recordingStore) Load(context.Context, string) (tokencache.Entry, bool, error) {
	return tokencache.Entry{}, false, nil
}

func (s *recordingStore) Save(_ context.Context, key string, e tokencache.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saved[key] = e
	return nil
}
func (*recordingStore) Delete(context.Context, string, tokencache.Token) error { return nil }
func (*recordingStore) TryLock(context.Context, string, time.Duration) (func(context.Context) error, bool, error) {
	return func(context.Context) error { return nil }, true, nil
}

// Issue 10 #4: the customer id (and external token) travel beside the token
// in Token.Extra, never packed into its Value.
func TestCustomerIDTravelsInExtra(t *testing.T) {
	srv := appstletest.NewServer()
	defer srv.Close()
	store := &recordingStore{saved: map[string]tokencache.Entry{}}
	cache := tokencache.New(tokencache.WithStore(store))
	defer cache.Close()
	c, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()), appstle.WithCache(cache))
	require.NoError(t, err)
	tok, err := c.PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "12345"})
	require.NoError(t, err)
	store.mu.Lock()
	defer store.mu.Unlock()
	require.Len(t, store.saved, 1)
	for key, e := range store.saved {
		assert.Equal(t, tok.Token, e.Token.Value, "the token alone")
		assert.NotContains(t, e.Token.Value, "\x00")
		assert.Equal(t, map[string]string{"customer_id": "12345"}, e.Token.Extra)
		assert.NotContains(t, key, appstletest.APIKey)
	}
}

// A shared entry is read from Extra, with no request.
func TestSharedEntryIsReadFromExtra(t *testing.T) {
	srv := appstletest.NewServer()
	defer srv.Close()
	exp := time.Now().Add(time.Hour)
	cache := tokencache.New(tokencache.WithStore(badStore{tokencache.Entry{
		Token: tokencache.Token{Value: "shared-token-abc", ExpiresAt: exp,
			Extra: map[string]string{"customer_id": "12345", "external_token": "ext-9"}},
		RefreshAt: exp.Add(-5 * time.Minute),
	}}))
	defer cache.Close()
	c, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()), appstle.WithCache(cache))
	require.NoError(t, err)
	tok, err := c.PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "12345"})
	require.NoError(t, err)
	assert.Equal(t, appstle.PortalToken{CustomerID: 12345, Token: "shared-token-abc", ExternalToken: "ext-9", ExpiresAt: tok.ExpiresAt, ExpiresIn: tok.ExpiresIn}, *tok)
	assert.Zero(t, srv.PortalTokens())

	// A shared token holding a NUL is dropped, not handed out.
	cache2 := tokencache.New(tokencache.WithStore(badStore{tokencache.Entry{
		Token:     tokencache.Token{Value: "tok\x00javascript:alert(1)", ExpiresAt: exp, Extra: map[string]string{"customer_id": "12345"}},
		RefreshAt: exp.Add(-5 * time.Minute),
	}}))
	defer cache2.Close()
	c2, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()), appstle.WithCache(cache2))
	require.NoError(t, err)
	_, err = c2.PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "12345"})
	require.ErrorIs(t, err, appstle.ErrUnexpectedResponse)
}

// Issue 10 #4: a token holding a NUL or another control character is
// ErrUnexpectedResponse, never cached or handed out.
func TestTokenWithControlCharactersIsRefused(t *testing.T) {
	for _, tok := range []string{`abc\u0000javascript:alert(1)`, `abc\u0000`, `abc\ndef`, `abc\u007fdef`, `abc\u0085def`, `abc def`, `abc\u2028def`} {
		c, mt, _ := mockClient(t)
		mt.RegisterResponder(http.MethodGet, tokenURL, respond(200, "application/json", `{"customerId": 12345, "token": "`+tok+`"}`))
		_, err := c.PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "12345"})
		require.ErrorIs(t, err, appstle.ErrUnexpectedResponse, tok)
		assert.NotContains(t, err.Error(), "abc", "the token is not quoted")
	}
}

// Issue 10 #5: no fmt verb, by value or pointer or inside a struct, and no
// slog handler shows the API key; by value the client describes itself as
// by pointer.
func TestClientPrintedByValueShowsNoKey(t *testing.T) {
	c, _, _ := fakeClient(t)
	type holder struct {
		C appstle.Client
		P *appstle.Client
	}
	type private struct{ c appstle.Client }
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("c", "client", c, "value", *c, "held", holder{*c, c})
	slog.New(slog.NewTextHandler(&buf, nil)).Info("c", "client", c, "value", *c, "held", holder{*c, c})
	outs := []string{buf.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
		outs = append(outs, fmt.Sprintf(verb, c), fmt.Sprintf(verb, *c), fmt.Sprintf(verb, holder{*c, c}), fmt.Sprintf(verb, private{*c}))
	}
	for _, out := range outs {
		assert.NotContains(t, out, appstletest.APIKey)
		assert.NotContains(t, out, fmt.Sprintf("%x", appstletest.APIKey))
		assert.NotContains(t, out, fmt.Sprintf("%X", appstletest.APIKey))
	}
	assert.Equal(t, fmt.Sprintf("%v", c), fmt.Sprintf("%v", *c))
	assert.Equal(t, c.String(), fmt.Sprintf("%+v", *c))
	assert.Contains(t, fmt.Sprintf("%#v", *c), "appstle.Client{baseURL: http://127.0.0.1:")
	assert.Contains(t, buf.String(), `"provider":"appstle"`, "LogValue by value")
}

// Issue 10 #6: ManageLink and PortalToken log through slog, by value and
// by pointer, without the link or the token.
func TestLinksAndTokensLogRedacted(t *testing.T) {
	c, _, _ := fakeClient(t)
	tok, err := c.PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "12345"})
	require.NoError(t, err)
	l, err := c.ManageSubscriptionLink(bg, "12345")
	require.NoError(t, err)
	for _, h := range []func(io.Writer) slog.Handler{
		func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
		func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("x", "link", l, "linkv", *l, "tok", tok, "tokv", *tok)
		out := buf.String()
		assert.NotContains(t, out, tok.Token)
		assert.NotContains(t, out, tok.Token[:20])
		assert.NotContains(t, out, "token=")
		assert.NotContains(t, out, l.Link)
		assert.Contains(t, out, "12345")
	}
}

// Issue 10 #9: an exp claim in the year 33715 is clamped to receipt + 2 h;
// one in the past is ErrUnexpectedResponse.
func TestExpClaimIsBounded(t *testing.T) {
	far := time.Date(33715, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		exp int64
		ok  bool
	}{"year 33715": {far.Unix(), true}, "in the past": {newClockAt().Add(-time.Minute).Unix(), false}} {
		t.Run(name, func(t *testing.T) {
			c, mt, clk := mockClient(t)
			signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"customerId": 12345, "exp": tc.exp}).SignedString([]byte("k"))
			require.NoError(t, err)
			mt.RegisterResponder(http.MethodGet, tokenURL, respond(200, "application/json", `{"customerId": 12345, "token": "`+signed+`"}`))
			tok, err := c.PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "12345"})
			if !tc.ok {
				require.ErrorIs(t, err, appstle.ErrUnexpectedResponse)
				return
			}
			require.NoError(t, err)
			assert.False(t, tok.ExpiresAt.After(time.Now().Add(2*time.Hour)), "clamped to receipt + 2 h: %v", tok.ExpiresAt)
			assert.WithinDuration(t, clk.Now().Add(2*time.Hour), tok.ExpiresAt, near)
		})
	}
}
