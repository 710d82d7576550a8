package provider

import (
	"context"
	"fmt"
	"io"
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

	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// The two colliding checkout keys of the issue: ids joined with NUL bytes
// gave them one key, and so one token.
func TestKeyPartsCannotCollide(t *testing.T) {
	a := Key("altpay", "https://api", "id", "secret", "checkout", "cus_alice\x00inv_alice", "x")
	b := Key("altpay", "https://api", "id", "secret", "checkout", "cus_alice", "inv_alice\x00x")
	assert.NotEqual(t, a, b)
	assert.NotEqual(t, Key("p", "ab", "c"), Key("p", "a", "bc"))
	assert.NotEqual(t, Key("p", "", "a"), Key("p", "a", ""))
	assert.NotEqual(t, Key("p", "a"), Key("p", "a", ""))
	assert.Equal(t, Key("p", "a", "b"), Key("p", "a", "b"))
}

// always401 is a provider whose token endpoint mints and whose API refuses
// every token.
type always401 struct {
	*httptest.Server
	mints, calls atomic.Int32
}

func newAlways401(t *testing.T) *always401 {
	s := &always401{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.calls.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *always401) source(b *Base) *Source {
	return b.Source("k", Call{Method: "POST", Path: "/token"}, func(context.Context) (tokencache.Token, error) {
		n := s.mints.Add(1)
		return tokencache.Token{Value: fmt.Sprintf("tok-%04d", n), Type: "Bearer", ExpiresAt: b.Cache.Now().Add(time.Hour)}, nil
	}, nil)
}

// A 401 storm is not a mint storm: 30 sequential requests, and 16
// goroutines × 5, to an endpoint that refuses every token make at most 2
// mints (the first token and one refresh), through each request path.
func TestUnauthorizedStormMintsAtMostTwice(t *testing.T) {
	paths := map[string]func(b *Base, s *Source, url string) int{
		"DoAuth": func(b *Base, s *Source, url string) int {
			req, _ := http.NewRequest("POST", url+"/api/x", strings.NewReader("body"))
			resp, err := b.HTTP.DoAuth(req, s, false)
			require.NoError(t, err)
			resp.Body.Close()
			return resp.StatusCode
		},
		"HTTPClient": func(b *Base, s *Source, url string) int {
			resp, err := b.HTTPClient(s).Get(url + "/api/x")
			require.NoError(t, err)
			resp.Body.Close()
			return resp.StatusCode
		},
		"Send": func(b *Base, s *Source, url string) int {
			_, err := b.HTTP.Send(context.Background(), httpx.Request{Method: "GET", Path: "/x", Auth: s})
			var ae *httpx.APIError
			require.ErrorAs(t, err, &ae)
			return ae.StatusCode
		},
	}
	for name, call := range paths {
		t.Run(name+"/sequential", func(t *testing.T) {
			srv := newAlways401(t)
			b := newBase(t, srv.URL+"/api", nil)
			s := srv.source(b)
			for range 30 {
				assert.Equal(t, 401, call(b, s, srv.URL))
			}
			t.Logf("30 sequential: %d mints, %d requests", srv.mints.Load(), srv.calls.Load())
			assert.LessOrEqual(t, srv.mints.Load(), int32(2))
			assert.LessOrEqual(t, srv.calls.Load(), int32(31), "one retry in all")
		})
		t.Run(name+"/concurrent", func(t *testing.T) {
			srv := newAlways401(t)
			b := newBase(t, srv.URL+"/api", nil)
			s := srv.source(b)
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					for range 5 {
						assert.Equal(t, 401, call(b, s, srv.URL))
					}
				})
			}
			wg.Wait()
			t.Logf("16 × 5: %d mints, %d requests", srv.mints.Load(), srv.calls.Load())
			assert.LessOrEqual(t, srv.mints.Load(), int32(2))
		})
	}
}

// Once RemintWindow has passed, a 401 may refresh the token again: one more
// mint per window, however many requests.
func TestUnauthorizedRefreshesOncePerWindow(t *testing.T) {
	srv := newAlways401(t)
	clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cache := tokencache.New(tokencache.WithClock(clk.Now))
	defer cache.Close()
	b, err := Build("test", Settings{BaseURL: srv.URL, Cache: cache}, nil)
	require.NoError(t, err)
	defer b.Close()
	s := srv.source(b)
	get := func() {
		resp, err := b.HTTPClient(s).Get(srv.URL + "/x")
		require.NoError(t, err)
		resp.Body.Close()
	}
	for range 5 {
		get()
	}
	assert.EqualValues(t, 2, srv.mints.Load())
	clk.Add(RemintWindow - time.Second)
	get()
	assert.EqualValues(t, 2, srv.mints.Load(), "still inside the window")
	clk.Add(time.Second)
	for range 5 {
		get()
	}
	assert.EqualValues(t, 3, srv.mints.Load(), "one refresh in the next window")
	clk.Add(-time.Hour) // a clock stepped back does not hold refreshes off for an hour
	get()
	assert.EqualValues(t, 4, srv.mints.Load())
	clk.Add(-RemintWindow) // nor one stepped back by exactly the window
	get()
	assert.EqualValues(t, 5, srv.mints.Load())
}

// A Source's Reject: a token already dropped by another caller's 401 is
// retried with its replacement; a second token refused inside the window
// is not dropped.
func TestSourceReject(t *testing.T) {
	b := newBase(t, "https://api.example.com", nil)
	n := 0
	s := b.Source("k", Call{}, func(context.Context) (tokencache.Token, error) {
		n++
		return tokencache.Token{Value: fmt.Sprint("tok-", n), Type: "Bearer", ExpiresAt: b.Cache.Now().Add(time.Hour)}, nil
	}, nil)
	tok, err := s.BearerToken(context.Background())
	require.NoError(t, err)
	assert.True(t, s.Reject(tok))
	assert.True(t, s.Reject(tok), "a concurrent 401 for the dropped token retries with the new one")
	next, err := s.BearerToken(context.Background())
	require.NoError(t, err)
	assert.NotEqual(t, tok, next)
	assert.False(t, s.Reject(next), "the refreshed token refused again: no second refresh")
	again, err := s.BearerToken(context.Background())
	require.NoError(t, err)
	assert.Equal(t, next, again, "it was not dropped")
	assert.Equal(t, 2, n)
}

// The check every mint passes refuses each rule's violation, naming the
// rule and never the token; a good token passes.
func TestCheck(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cache := tokencache.New(tokencache.WithClock(func() time.Time { return now }))
	defer cache.Close()
	b, err := Build("test", Settings{BaseURL: "https://api.example.com", Cache: cache}, nil)
	require.NoError(t, err)
	defer b.Close()
	good := tokencache.Token{Value: "tok-good-123", Type: "Bearer", ExpiresAt: now.Add(time.Hour)}
	require.NoError(t, b.Check(good, "Bearer", 2*time.Hour))
	bad := map[string]tokencache.Token{
		"too large":        {Value: strings.Repeat("a", MaxTokenSize+1), Type: "Bearer", ExpiresAt: now.Add(time.Hour)},
		"16 MiB":           {Value: strings.Repeat("a", 16<<20), Type: "Bearer", ExpiresAt: now.Add(time.Hour)},
		"control":          {Value: "tok-\x1b[31m", Type: "Bearer", ExpiresAt: now.Add(time.Hour)},
		"space":            {Value: "tok good", Type: "Bearer", ExpiresAt: now.Add(time.Hour)},
		"empty":            {Value: "", Type: "Bearer", ExpiresAt: now.Add(time.Hour)},
		"type":             {Value: "tok-good-123", Type: "mac", ExpiresAt: now.Add(time.Hour)},
		"no type":          {Value: "tok-good-123", ExpiresAt: now.Add(time.Hour)},
		"expired":          {Value: "tok-good-123", Type: "Bearer", ExpiresAt: now.Add(-time.Second)},
		"beyond ceiling":   {Value: "tok-good-123", Type: "Bearer", ExpiresAt: now.Add(3 * time.Hour)},
		"ten years":        {Value: "tok-good-123", Type: "Bearer", ExpiresAt: now.AddDate(10, 0, 0)},
		"huge extra value": {Value: "tok-good-123", Type: "Bearer", ExpiresAt: now.Add(time.Hour), Extra: map[string]string{"u": strings.Repeat("x", 64<<10)}},
	}
	edge := map[string]tokencache.Token{
		"exactly MaxTokenSize": {Value: strings.Repeat("a", MaxTokenSize), Type: "Bearer", ExpiresAt: now.Add(time.Hour)},
		"exactly the ceiling":  {Value: "tok-good-123", Type: "Bearer", ExpiresAt: now.Add(2 * time.Hour)},
		"largest extra value":  {Value: "tok-good-123", Type: "Bearer", ExpiresAt: now.Add(time.Hour), Extra: map[string]string{"u": strings.Repeat("x", 2*MaxTokenSize)}},
	}
	for name, tok := range edge {
		assert.NoError(t, b.Check(tok, "Bearer", 2*time.Hour), name)
	}
	bad["extra value one over"] = tokencache.Token{Value: "tok-good-123", Type: "Bearer", ExpiresAt: now.Add(time.Hour), Extra: map[string]string{"u": strings.Repeat("x", 2*MaxTokenSize+1)}}
	bad["a nanosecond past the ceiling"] = tokencache.Token{Value: "tok-good-123", Type: "Bearer", ExpiresAt: now.Add(2*time.Hour + time.Nanosecond)}
	bad["expires now"] = tokencache.Token{Value: "tok-good-123", Type: "Bearer", ExpiresAt: now}
	for name, tok := range bad {
		err := b.Check(tok, "Bearer", 2*time.Hour)
		require.Error(t, err, name)
		if len(tok.Value) > 3 {
			assert.NotContains(t, err.Error(), tok.Value, name)
		}
	}
	assert.Error(t, b.Check(tokencache.Token{Value: "x", Type: "Bearer", ExpiresAt: now.AddDate(10, 0, 0)}, "Bearer", 0), "MaxLifetime with no ceiling of the provider's own")
	assert.NoError(t, b.Check(tokencache.Token{Value: "x", Type: "Bearer", ExpiresAt: now.AddDate(0, 0, 300)}, "Bearer", 0), "no ceiling of its own: MaxLifetime")
	assert.NoError(t, b.Check(tokencache.Token{Value: "x", Type: "Bearer", ExpiresAt: now.Add(MaxLifetime)}, "Bearer", 1000*24*time.Hour), "a ceiling above MaxLifetime is MaxLifetime")
	assert.Error(t, b.Check(tokencache.Token{Value: "x", Type: "Bearer", ExpiresAt: now.Add(MaxLifetime + time.Second)}, "Bearer", 1000*24*time.Hour))
}

// A minted token check refuses is an error naming the call, and is not
// cached: the next call gets the error again (from the key's backoff),
// never the token.
func TestMintedTokenIsChecked(t *testing.T) {
	b := newBase(t, "https://api.example.com/api", nil)
	n := 0
	mint := func(context.Context) (tokencache.Token, error) {
		n++
		return tokencache.Token{Value: "tok-for-cus_999", ExpiresAt: b.Cache.Now().Add(time.Hour)}, nil
	}
	check := func(tokencache.Token) error { return fmt.Errorf("token is for another customer") }
	for range 2 {
		tok, err := b.Token(context.Background(), "k", Call{Method: "GET", Path: "/t"}, mint, check)
		require.ErrorIs(t, err, httpx.ErrUnexpectedResponse)
		assert.Empty(t, tok.Value)
		assert.Contains(t, err.Error(), "test: GET /api/t")
		assert.Contains(t, err.Error(), "another customer")
		assert.NotContains(t, err.Error(), "tok-for-cus_999")
	}
	assert.Equal(t, 1, n)
}

func TestCheckSettingsNamesTheOption(t *testing.T) {
	for opt, s := range map[string]Settings{
		"WithMaxAttempts":   {MaxAttempts: -1},
		"WithRetryWait":     {MinWait: -time.Second},
		"WithMaxRetryAfter": {MaxRetryAfter: -time.Second},
	} {
		s.BaseURL = "https://api.example.com"
		_, err := Build("test", s, nil)
		require.ErrorIs(t, err, httpx.ErrInvalidRequest, opt)
		assert.Contains(t, err.Error(), opt)
	}
	for name, s := range map[string]Settings{
		"max below min":             {MinWait: time.Second, MaxWait: time.Millisecond},
		"min above the default max": {MinWait: 3 * time.Second},
		"max below the default min": {MaxWait: time.Millisecond},
	} {
		err := CheckSettings("test", s)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "WithRetryWait", name)
	}
	err := CheckSettings("test", Settings{MaxRetryAfter: tokencache.MaxRetryAfterHint + time.Second})
	require.ErrorIs(t, err, httpx.ErrInvalidRequest)
	assert.Contains(t, err.Error(), "WithMaxRetryAfter")
	assert.NoError(t, CheckSettings("test", Settings{MaxRetryAfter: tokencache.MaxRetryAfterHint, MinWait: time.Second, MaxWait: time.Second}))
}

func jwtWith(t *testing.T, claims jwt.MapClaims) string {
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("k"))
	require.NoError(t, err)
	return s
}

// Absolute expiries are judged against the provider's clock: exp − iat from
// receipt when the JWT has both, else corrected by the Date header; a
// client clock behind the provider's does not serve a dead token, one ahead
// by more than the lifetime does not refuse a valid one.
func TestAbsoluteExpiryAcrossClockSkew(t *testing.T) {
	server := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	expiresAt := server.Add(10 * time.Minute)
	date := http.Header{"Date": {server.Format(http.TimeFormat)}}
	for name, local := range map[string]time.Time{
		"client behind by 1h": server.Add(-time.Hour),
		"client ahead by 2h":  server.Add(2 * time.Hour),
		"in step":             server,
	} {
		got, err := Absolute(expiresAt, "opaque-token", date, local, 0)
		require.NoError(t, err, name)
		assert.Equal(t, local.Add(10*time.Minute), got, "%s: Date correction", name)

		tok := jwtWith(t, jwt.MapClaims{"iat": server.Unix(), "exp": expiresAt.Unix()})
		got, err = Absolute(expiresAt, tok, nil, local, 0)
		require.NoError(t, err, name)
		assert.Equal(t, local.Add(10*time.Minute), got, "%s: exp − iat from receipt", name)
	}
	_, err := Absolute(expiresAt, "opaque-token", nil, server.Add(2*time.Hour), 0)
	assert.Error(t, err, "no Date and no iat: the local clock is all there is")
	got, err := Absolute(expiresAt, "opaque-token", nil, server, 0)
	require.NoError(t, err)
	assert.Equal(t, expiresAt, got)
	got, err = Absolute(server.Add(48*time.Hour), "opaque-token", date, server, time.Hour)
	require.NoError(t, err)
	assert.Equal(t, server.Add(time.Hour), got, "the ceiling still applies")
	tok := jwtWith(t, jwt.MapClaims{"iat": server.Unix(), "exp": server.Add(48 * time.Hour).Unix()})
	got, err = Absolute(server.Add(48*time.Hour), tok, nil, server, time.Hour)
	require.NoError(t, err)
	assert.Equal(t, server.Add(time.Hour), got)
	skew, dated := DateSkew(http.Header{"Date": {"yesterday"}}, server)
	assert.Zero(t, skew)
	assert.False(t, dated)
	skew, dated = DateSkew(date, server.Add(-time.Hour))
	assert.Equal(t, -time.Hour, skew)
	assert.True(t, dated)
	skew, dated = DateSkew(date, server.Add(999*time.Millisecond))
	assert.Zero(t, skew, "under the Date header's resolution")
	assert.True(t, dated)
	skew, _ = DateSkew(date, server.Add(-999*time.Millisecond))
	assert.Zero(t, skew)
	skew, _ = DateSkew(date, server.Add(1500*time.Millisecond))
	assert.Equal(t, time.Second, skew)
	skew, _ = DateSkew(date, server.Add(time.Second))
	assert.Equal(t, time.Second, skew, "a whole second is a skew")
	skew, _ = DateSkew(date, server.Add(-time.Second))
	assert.Equal(t, -time.Second, skew)

	// With iat and exp, the Date header does not matter.
	tok = jwtWith(t, jwt.MapClaims{"iat": server.Add(-time.Hour).Unix(), "exp": server.Add(-time.Minute).Unix()})
	got, err = Absolute(server.Add(-time.Minute), tok, date, server.Add(3*time.Hour), 0)
	require.NoError(t, err)
	assert.Equal(t, server.Add(3*time.Hour+59*time.Minute), got)
}

// The scoped x/oauth2 path: the token goes to the base URL's host only; a
// request for another host, a Host field naming another host, or a
// redirect to another host carries no token there.
func TestOAuth2TransportIsScoped(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
	}))
	defer other.Close()
	var got atomic.Value
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
		}
	}))
	defer api.Close()
	b := newBase(t, api.URL, nil)
	s := b.Source("k", Call{}, func(context.Context) (tokencache.Token, error) {
		return tokencache.Token{Value: "tok-oauth2-1234", Type: "Bearer", ExpiresAt: b.Cache.Now().Add(time.Hour)}, nil
	}, nil)
	hc := &http.Client{Transport: b.OAuth2Transport(s, nil)}

	resp, err := hc.Get(api.URL + "/ok")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "Bearer tok-oauth2-1234", got.Load())

	_, err = hc.Get(other.URL + "/direct")
	assert.ErrorIs(t, err, httpx.ErrInvalidRequest)
	_, err = hc.Get(api.URL + "/redirect")
	assert.ErrorIs(t, err, httpx.ErrInvalidRequest, "the redirect's hop to another host is refused")
	req, _ := http.NewRequest("GET", api.URL+"/ok", nil)
	req.Host = "attacker.example"
	_, err = hc.Do(req)
	assert.ErrorIs(t, err, httpx.ErrInvalidRequest)
	assert.Zero(t, leaked.Load(), "no token reached another host")
}

func TestClip(t *testing.T) {
	assert.Equal(t, strings.Repeat("a", 20), clip(strings.Repeat("a", 20)))
	assert.Equal(t, strings.Repeat("a", 20)+"…", clip(strings.Repeat("a", 21)))
}
