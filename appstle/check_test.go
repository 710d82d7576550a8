package appstle

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/provider"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

func signed(t *testing.T, claims jwt.MapClaims) string {
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("k"))
	require.NoError(t, err)
	return s
}

// The check every portal token passes, when minted and when loaded from a
// Store: each rule's violation is refused, a good one passes.
func TestPortalTokenCheck(t *testing.T) {
	c, err := New("apst_check_key", WithBaseURL("https://appstle.example.com"))
	require.NoError(t, err)
	defer c.Close()
	now := c.c.base.Cache.Now()
	check := c.c.checker(12345)
	good := tokencache.Token{Value: signed(t, jwt.MapClaims{"customerId": 12345}), ExpiresAt: now.Add(time.Hour),
		Extra: map[string]string{extraCustomerID: "12345"}}
	require.NoError(t, check(good))
	require.NoError(t, c.c.checker(0)(good), "an e-mail lookup binds to the id beside the token")
	opaque := tokencache.Token{Value: "opaque-portal-tok", ExpiresAt: now.Add(time.Hour), Extra: map[string]string{extraCustomerID: "12345"}}
	require.NoError(t, check(opaque))
	other := signed(t, jwt.MapClaims{"customerId": 999})
	for name, mod := range map[string]func(*tokencache.Token){
		"another customer's id":    func(t *tokencache.Token) { t.Extra = map[string]string{extraCustomerID: "999"} },
		"another customer's claim": func(t *tokencache.Token) { t.Value = other },
		"no id":                    func(t *tokencache.Token) { t.Extra = nil },
		"bad id":                   func(t *tokencache.Token) { t.Extra = map[string]string{extraCustomerID: "-1"} },
		"ten years":                func(t *tokencache.Token) { t.ExpiresAt = now.AddDate(10, 0, 0) },
		"beyond 2 h":               func(t *tokencache.Token) { t.ExpiresAt = now.Add(2*time.Hour + time.Minute) },
		"16 MiB":                   func(t *tokencache.Token) { t.Value = strings.Repeat("a", 16<<20) },
		"control":                  func(t *tokencache.Token) { t.Value = "tok\u202etok" },
		"typed":                    func(t *tokencache.Token) { t.Type = "Bearer" },
	} {
		tok := good
		mod(&tok)
		assert.Error(t, check(tok), name)
	}
}

// The attack: with write access to the shared level, customer
// 999's token is planted under customer 12345's key. It is refused, never
// served and never put in a redirect.
func TestAnotherCustomersCachedTokenIsRefused(t *testing.T) {
	cache := tokencache.New()
	defer cache.Close()
	c, err := New("apst_check_key", WithBaseURL("https://appstle.example.com"), WithCache(cache))
	require.NoError(t, err)
	defer c.Close()
	scope, _, _, err := PortalTokenRequest{CustomerID: "12345"}.normalize()
	require.NoError(t, err)
	key := provider.Key(name, append(c.c.keyParts, scope)...)
	victim := signed(t, jwt.MapClaims{"customerId": 999})
	_, err = cache.Get(context.Background(), key, func(context.Context) (tokencache.Token, error) {
		return tokencache.Token{Value: victim, ExpiresAt: cache.Now().Add(time.Hour), Extra: map[string]string{extraCustomerID: "999"}}, nil
	})
	require.NoError(t, err)
	_, err = c.PortalToken(context.Background(), PortalTokenRequest{CustomerID: "12345"})
	require.ErrorIs(t, err, ErrUnexpectedResponse)
	assert.NotContains(t, err.Error(), victim)
}

// PortalToken's text forms never show Token or ExternalToken.
func TestPortalTokenPrintsNoSecret(t *testing.T) {
	tok := PortalToken{CustomerID: 12345, Token: "portal-secret-token", ExternalToken: "external-secret-token", ExpiresAt: time.Now()}
	var logs strings.Builder
	slog.New(slog.NewTextHandler(&logs, nil)).Info("t", "tok", tok)
	for _, out := range []string{tok.String(), tok.GoString(), fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s %q", tok, tok, tok, tok, tok),
		fmt.Sprintf("%v %+v", &tok, &tok), logs.String()} {
		assert.NotContains(t, out, "portal-secret-token")
		assert.NotContains(t, out, "external-secret-token")
	}
	assert.Contains(t, tok.String(), "12345")
}

// Expiries are judged by the provider's clock: exp − issue time when the
// token has both, else by the Date header, for a client clock behind the
// provider's and one ahead by more than the lifetime.
func TestExpiryAcrossClockSkew(t *testing.T) {
	server := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	date := http.Header{"Date": {server.Format(http.TimeFormat)}}
	withBoth := signed(t, jwt.MapClaims{"timestamp": server.Unix(), "exp": server.Add(time.Hour).Unix()})
	expOnly := signed(t, jwt.MapClaims{"exp": server.Add(time.Hour).Unix()})
	tsOnly := signed(t, jwt.MapClaims{"timestamp": server.Unix()})
	for name, now := range map[string]time.Time{"behind": server.Add(-time.Hour), "ahead": server.Add(3 * time.Hour)} {
		got, err := expiry(withBoth, nil, now)
		require.NoError(t, err, name)
		assert.Equal(t, now.Add(time.Hour), got, "%s: exp − timestamp", name)
		got, err = expiry(expOnly, date, now)
		require.NoError(t, err, name)
		assert.Equal(t, now.Add(time.Hour), got, "%s: exp by the Date header", name)
		got, err = expiry(tsOnly, date, now)
		require.NoError(t, err, name)
		assert.Equal(t, now.Add(TokenLifetime), got, "%s: timestamp + 2 h by the Date header", name)
	}
}
