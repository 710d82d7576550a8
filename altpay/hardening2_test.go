package altpay_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
)

// A signed-in user who posts their own current token as expiredToken, ten
// times, costs one mint: a token minted within RefreshMinAge is answered
// again, not re-minted.
func TestRefreshHandlerDoesNotMintOnDemand(t *testing.T) {
	c, srv, _ := fake(t, altpaytest.WithRateLimit(0))
	h := c.RefreshHandler(func(*http.Request) (altpay.CheckoutTokenRequest, error) {
		return altpay.CheckoutTokenRequest{CustomerID: "cus_me", InvoiceID: "inv_me"}, nil
	})
	current := ""
	for i := range 10 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/checkout/token", strings.NewReader(`{"expiredToken":"`+current+`"}`)))
		require.Equal(t, http.StatusOK, rec.Code, i)
		var v struct{ Token string }
		require.NoError(t, json.NewDecoder(rec.Body).Decode(&v))
		if current != "" {
			assert.Equal(t, current, v.Token, "the current token, again")
		}
		current = v.Token
	}
	assert.Equal(t, 1, srv.CheckoutTokens(), "10 POSTs, 1 mint")
}

// The colliding pair: ids joined with NUL bytes shared one key,
// and so one token. Each request now gets its own.
func TestCheckoutKeysDoNotCollide(t *testing.T) {
	c, srv, _ := fake(t, altpaytest.WithRateLimit(0))
	a, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "cus_alice\x00inv_alice", InvoiceID: "x"})
	require.NoError(t, err)
	b, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "cus_alice", InvoiceID: "inv_alice\x00x"})
	require.NoError(t, err)
	assert.NotEqual(t, a.Token, b.Token)
	assert.Equal(t, "inv_alice\x00x", b.Claims.InvoiceID)
	assert.Equal(t, 2, srv.CheckoutTokens())
}

// New refuses, naming the option, every value another layer would replace
// silently.
func TestNewRefusesOptionsThatWouldBeReplaced(t *testing.T) {
	for opt, o := range map[string]altpay.Option{
		"WithMaxAttempts":   altpay.WithMaxAttempts(-1),
		"WithRetryWait":     altpay.WithRetryWait(0, 50*time.Millisecond), // below the default min
		"WithMaxRetryAfter": altpay.WithMaxRetryAfter(-1),
	} {
		_, err := altpay.New("id", "secret", o)
		require.ErrorIs(t, err, altpay.ErrInvalidRequest, opt)
		assert.Contains(t, err.Error(), opt)
	}
}

// No documented path sends the access token to another host: Do,
// HTTPClient and OAuth2Transport refuse another host, a Host field naming
// one, and (OAuth2Transport) a redirect's hop to one.
func TestNoPathSendsTheTokenElsewhere(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
	}))
	defer other.Close()
	c, srv, _ := fake(t, altpaytest.WithRateLimit(0))
	oauthClient := &http.Client{Transport: c.OAuth2Transport(nil)}
	for name, do := range map[string]func(*http.Request) (*http.Response, error){
		"Do": c.Do, "HTTPClient": c.HTTPClient().Do, "OAuth2Transport": oauthClient.Do,
	} {
		req, _ := http.NewRequest(http.MethodGet, other.URL+"/steal", nil)
		_, err := do(req)
		assert.ErrorIs(t, err, altpay.ErrInvalidRequest, name)
		req, _ = http.NewRequest(http.MethodPost, srv.URL()+"/v1/checkout-auth/init", strings.NewReader(`{}`))
		req.Host = "attacker.example"
		_, err = do(req)
		assert.ErrorIs(t, err, altpay.ErrInvalidRequest, name+": Host field")
	}
	assert.Zero(t, leaked.Load())
	assert.Zero(t, srv.CheckoutTokenRequests("/v1/checkout-auth/init"), "nothing went out with another Host")
}
