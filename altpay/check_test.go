package altpay

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

func checkoutJWT(t *testing.T, claims jwt.MapClaims) string {
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("k"))
	require.NoError(t, err)
	return s
}

// The checks every access and checkout token passes, when minted and when
// loaded from a Store: each rule's violation is refused, a good one passes.
func TestTokenChecks(t *testing.T) {
	c, err := New("ap_client", "ap_secret", WithBaseURL("https://altpay.example.com"))
	require.NoError(t, err)
	defer c.Close()
	now := c.c.base.Cache.Now()
	access := tokencache.Token{Value: "opaque-access-123", Type: "Bearer", ExpiresAt: now.Add(time.Hour)}
	require.NoError(t, c.c.checkAccess(access))
	for name, tok := range map[string]tokencache.Token{
		"ten years": {Value: access.Value, Type: "Bearer", ExpiresAt: now.AddDate(10, 0, 0)},
		"16 MiB":    {Value: strings.Repeat("a", 16<<20), Type: "Bearer", ExpiresAt: now.Add(time.Hour)},
		"untyped":   {Value: access.Value, ExpiresAt: now.Add(time.Hour)},
		"newline":   {Value: "a\nb", Type: "Bearer", ExpiresAt: now.Add(time.Hour)},
	} {
		assert.Error(t, c.c.checkAccess(tok), name)
	}

	me := CheckoutTokenRequest{CustomerID: "cus_me", InvoiceID: "inv_me"}
	check := c.c.checker(me)
	good := tokencache.Token{Value: checkoutJWT(t, jwt.MapClaims{"customer_id": "cus_me", "invoice_id": "inv_me"}), ExpiresAt: now.Add(time.Hour)}
	require.NoError(t, check(good))
	require.NoError(t, check(tokencache.Token{Value: "opaque-checkout", ExpiresAt: now.Add(time.Hour)}), "an opaque token names no one")
	victim := checkoutJWT(t, jwt.MapClaims{"customer_id": "cus_victim", "invoice_id": "inv_victim"})
	otherInvoice := checkoutJWT(t, jwt.MapClaims{"customer_id": "cus_me", "invoice_id": "inv_victim"})
	for name, mod := range map[string]func(*tokencache.Token){
		"another customer": func(t *tokencache.Token) { t.Value = victim },
		"another invoice":  func(t *tokencache.Token) { t.Value = otherInvoice },
		"beyond a day":     func(t *tokencache.Token) { t.ExpiresAt = now.Add(25 * time.Hour) },
		"expired":          func(t *tokencache.Token) { t.ExpiresAt = now.Add(-time.Second) },
		"typed":            func(t *tokencache.Token) { t.Type = "Bearer" },
		"16 MiB":           func(t *tokencache.Token) { t.Value = strings.Repeat("a", 16<<20) },
	} {
		tok := good
		mod(&tok)
		assert.Error(t, check(tok), name)
	}
}

// The attack: cus_victim's checkout token planted under cus_me's
// key is refused, never served.
func TestAnotherCustomersCheckoutTokenIsRefused(t *testing.T) {
	cache := tokencache.New()
	defer cache.Close()
	c, err := New("ap_client", "ap_secret", WithBaseURL("https://altpay.example.com"), WithCache(cache))
	require.NoError(t, err)
	defer c.Close()
	me := CheckoutTokenRequest{CustomerID: "cus_me", InvoiceID: "inv_me"}
	victim := checkoutJWT(t, jwt.MapClaims{"customer_id": "cus_victim", "invoice_id": "inv_victim"})
	_, err = cache.Get(context.Background(), c.c.checkoutKey(me), func(context.Context) (tokencache.Token, error) {
		return tokencache.Token{Value: victim, ExpiresAt: cache.Now().Add(time.Hour)}, nil
	})
	require.NoError(t, err)
	_, err = c.CheckoutToken(context.Background(), me)
	require.ErrorIs(t, err, ErrUnexpectedResponse)
	assert.NotContains(t, err.Error(), victim)
}

// An init answer with only an absolute expiry is judged by the provider's
// clock (exp − iat, else the Date header), for a client clock behind the
// provider's and one ahead by more than the lifetime.
func TestExpiresAtAcrossClockSkew(t *testing.T) {
	hc, err := httpx.New(httpx.Config{Provider: name, BaseURL: DefaultBaseURL})
	require.NoError(t, err)
	server := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	exp := server.Add(15 * time.Minute)
	r := CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"}
	withIat := checkoutJWT(t, jwt.MapClaims{"customer_id": "cus_1", "invoice_id": "inv_1", "iat": server.Unix(), "exp": exp.Unix()})
	expOnly := checkoutJWT(t, jwt.MapClaims{"customer_id": "cus_1", "invoice_id": "inv_1", "exp": exp.Unix()})
	for name, now := range map[string]time.Time{"behind": server.Add(-time.Hour), "ahead": server.Add(3 * time.Hour)} {
		for kind, body := range map[string]string{
			"expires_at, iat and exp": `{"token":"` + withIat + `","expires_at":"` + exp.Format(time.RFC3339) + `"}`,
			"expires_at, Date":        `{"token":"` + expOnly + `","expires_at":"` + exp.Format(time.RFC3339) + `"}`,
			"exp claim, Date":         `{"token":"` + expOnly + `"}`,
		} {
			h := http.Header{"Content-Type": {"application/json"}, "Date": {server.Format(http.TimeFormat)}}
			resp := &httpx.Response{StatusCode: 200, Header: h, Body: []byte(body), Method: "POST", Path: initPathV1}
			tok, err := decodeCheckout(hc, resp, r, now)
			require.NoError(t, err, "%s: %s", name, kind)
			assert.Equal(t, now.Add(15*time.Minute), tok.ExpiresAt, "%s: %s", name, kind)
		}
	}
}
