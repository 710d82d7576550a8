package crovver

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// The check every checkout and portal token passes, when minted and when
// loaded from a Store: each rule's violation is refused, a good one passes.
func TestTokenCheck(t *testing.T) {
	c, err := New("pk_test_check", WithBaseURL("https://app.example.com"))
	require.NoError(t, err)
	defer c.Close()
	now := c.c.base.Cache.Now()
	good := tokencache.Token{Value: "eyJ.checkout.tok", ExpiresAt: now.Add(10 * time.Minute),
		Extra: map[string]string{pageURL: "https://portal.crovver.com/pricing?token=eyJ.checkout.tok"}}
	require.NoError(t, c.c.check(good))
	for name, mod := range map[string]func(*tokencache.Token){
		"ten years":          func(t *tokencache.Token) { t.ExpiresAt = now.AddDate(10, 0, 0) },
		"beyond a day":       func(t *tokencache.Token) { t.ExpiresAt = now.Add(25 * time.Hour) },
		"expired":            func(t *tokencache.Token) { t.ExpiresAt = now.Add(-time.Second) },
		"16 MiB":             func(t *tokencache.Token) { t.Value = strings.Repeat("a", 16<<20) },
		"control":            func(t *tokencache.Token) { t.Value = "eyJ\x00x" },
		"typed":              func(t *tokencache.Token) { t.Type = "Bearer" },
		"javascript page":    func(t *tokencache.Token) { t.Extra = map[string]string{pageURL: "javascript:alert(1)"} },
		"http page":          func(t *tokencache.Token) { t.Extra = map[string]string{pageURL: "http://evil.example/p"} },
		"user info in page":  func(t *tokencache.Token) { t.Extra = map[string]string{pageURL: "https://a@evil.example/p"} },
		"no page":            func(t *tokencache.Token) { t.Extra = nil },
		"relative page":      func(t *tokencache.Token) { t.Extra = map[string]string{pageURL: "/pricing"} },
		"protocol-rel. page": func(t *tokencache.Token) { t.Extra = map[string]string{pageURL: "//evil.example/p"} },
	} {
		tok := good
		mod(&tok)
		assert.Error(t, c.c.check(tok), name)
	}
}

// A token the Store hands back that fails the check is dropped, never
// served (the check runs on the way out too).
func TestCachedTokenIsChecked(t *testing.T) {
	cache := tokencache.New()
	defer cache.Close()
	c, err := New("pk_test_check", WithBaseURL("https://app.example.com"), WithCache(cache))
	require.NoError(t, err)
	defer c.Close()
	r := CheckoutTokenRequest{ExternalTenantID: "t1", ReturnURL: "https://shop.example/back"}
	body, err := r.encode()
	require.NoError(t, err)
	key := keyOf(c, checkoutPath, body)
	_, err = cache.Get(context.Background(), key, func(context.Context) (tokencache.Token, error) {
		return tokencache.Token{Value: "tok-planted", ExpiresAt: cache.Now().Add(48 * time.Hour), Extra: map[string]string{pageURL: "https://evil.example/x"}}, nil
	})
	require.NoError(t, err)
	_, err = c.CheckoutToken(context.Background(), r)
	require.ErrorIs(t, err, ErrUnexpectedResponse)
	assert.NotContains(t, err.Error(), "tok-planted")
}

func keyOf(c *Client, path string, body []byte) string {
	// The same construction as client.token.
	return providerKey(c.c, path, body)
}

// An expiresAt-only answer is judged by the provider's clock: by exp − iat
// when the JWT has both, else by the Date header, for a client clock behind
// the provider's and one ahead by more than the lifetime.
func TestExpiresAtAcrossClockSkew(t *testing.T) {
	hc, err := httpx.New(httpx.Config{Provider: name, BaseURL: "https://app.crovver.com"})
	require.NoError(t, err)
	server := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	exp := server.Add(10 * time.Minute)
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iat": server.Unix(), "exp": exp.Unix()}).SignedString([]byte("k"))
	require.NoError(t, err)
	for name, now := range map[string]time.Time{"behind": server.Add(-time.Hour), "ahead": server.Add(3 * time.Hour)} {
		for kind, token := range map[string]string{"opaque": "opaque-crovver-tok", "jwt": signed} {
			body := `{"success":true,"data":{"token":"` + token + `","expiresAt":"` + exp.Format(time.RFC3339) + `","checkoutUrl":"https://portal.crovver.com/pricing"}}`
			h := http.Header{"Content-Type": {"application/json"}}
			if kind == "opaque" {
				h.Set("Date", server.Format(http.TimeFormat))
			}
			resp := &httpx.Response{StatusCode: 201, Header: h, Body: []byte(body), Method: "POST", Path: checkoutPath}
			tok, err := decodeToken(hc, resp, checkoutPath, now)
			require.NoError(t, err, "%s %s", name, kind)
			assert.Equal(t, now.Add(10*time.Minute), tok.ExpiresAt, "%s %s", name, kind)
		}
	}
}
