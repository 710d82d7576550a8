package cartevo_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

type wallet struct{ ID, Currency string }

func TestCallSendsThePathsQuery(t *testing.T) {
	c, srv, _ := fakeClient(t, nil)
	var out []wallet
	require.NoError(t, c.Call(bg, http.MethodGet, "/wallets?limit=1&currency=XAF", nil, &out))
	assert.Equal(t, []wallet{{ID: "wal_xaf_01", Currency: "XAF"}}, out)
	assert.Equal(t, srv.URL()+"/wallets?limit=1&currency=XAF", c.URL("/wallets?limit=1&currency=XAF"))
}

func TestCallDecodesDataWithoutEnvelope(t *testing.T) {
	c, _, _ := fakeClient(t, []cartevotest.Option{cartevotest.WithoutEnvelope()})
	var out []wallet
	require.NoError(t, c.Call(bg, http.MethodGet, "/wallets", nil, &out))
	assert.Len(t, out, 2)
}

func TestErrorsAreThePublicTypes(t *testing.T) {
	c, _, _ := fakeClient(t, nil)
	bad, err := cartevo.New(cartevotest.ClientID, "wrong-key-123", cartevo.WithBaseURL(c.URL("/")[:len(c.URL("/"))-1]))
	require.NoError(t, err)
	defer bad.Close()
	_, err = bad.AccessToken(bg)
	var ae *checkoutkit.APIError
	require.ErrorAs(t, err, &ae, "cartevo.APIError is checkoutkit.APIError")
	assert.ErrorIs(t, err, checkoutkit.ErrUnauthorized)
	assert.ErrorIs(t, err, cartevo.ErrUnauthorized)
}

func TestEchoedAccessTokenIsRedacted(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var sent atomic.Value
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/v1/auth/token" {
			_, _ = io.WriteString(w, `{"access_token":"ACCESS-9f8e7d6c5b4a","token_type":"Bearer","expires_in":3600}`)
			return
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		sent.Store(tok)
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"success":false,"statusCode":403,"message":"token `+tok+` is not valid for this company"}`)
	}))
	defer api.Close()
	c, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(api.URL+"/api/v1"), cartevo.WithLogger(logger))
	require.NoError(t, err)
	defer c.Close()

	err = c.Call(bg, http.MethodGet, "/wallets", nil, nil)
	require.ErrorIs(t, err, cartevo.ErrUnauthorized)
	assert.Equal(t, "ACCESS-9f8e7d6c5b4a", sent.Load(), "the provider did echo the token")
	assert.NotContains(t, err.Error(), "ACCESS-9f8e7d6c5b4a")
	assert.Contains(t, err.Error(), "token [redacted] is not valid")
	assert.NotContains(t, logs.String(), "ACCESS-9f8e7d6c5b4a")
	assert.NotContains(t, logs.String(), cartevotest.ClientKey)
}

func TestMintRedirectIsNotFollowed(t *testing.T) {
	var stolen atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { stolen.Add(1) }))
	defer thief.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, thief.URL+"/collect", http.StatusTemporaryRedirect)
	}))
	defer api.Close()
	for _, hc := range []*http.Client{nil, {}} {
		c, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(api.URL+"/api/v1"), cartevo.WithHTTPClient(hc))
		require.NoError(t, err)
		_, err = c.AccessToken(bg)
		var ae *cartevo.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, http.StatusTemporaryRedirect, ae.StatusCode)
		assert.ErrorIs(t, err, cartevo.ErrUnexpectedResponse)
		c.Close()
	}
	assert.Zero(t, stolen.Load(), "the client key never reached another host")
}

func TestTokenTypeMustBeBearer(t *testing.T) {
	for typ, ok := range map[string]bool{`"Bearer"`: true, `"bearer"`: true, `null`: true, `"mac"`: false, `"Basic"`: false} {
		c, mt, _ := mockClient(t)
		mt.RegisterResponder(http.MethodPost, tokenURL, jsonResponder(200, `{"access_token":"abcd1234","token_type":`+typ+`,"expires_in":3600}`))
		tok, err := c.AccessToken(bg)
		if ok {
			require.NoError(t, err, typ)
			assert.Equal(t, "Bearer", tok.Type)
		} else {
			assert.ErrorIs(t, err, cartevo.ErrUnexpectedResponse, typ)
		}
	}
}

func TestLifetimeAboveCeilingIsRefused(t *testing.T) {
	for _, in := range []string{"9.3e9", "31708800", "1e308"} {
		c, mt, _ := mockClient(t)
		mt.RegisterResponder(http.MethodPost, tokenURL, jsonResponder(200, `{"access_token":"abcd1234","expires_in":`+in+`}`))
		_, err := c.AccessToken(bg)
		assert.ErrorIs(t, err, cartevo.ErrUnexpectedResponse, in)
	}
}

func TestClientPrintedByValueShowsNoCredential(t *testing.T) {
	c, _, _ := fakeClient(t, nil)
	type holder struct {
		C cartevo.Client
		P *cartevo.Client
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("c", "client", c, "value", *c)
	outs := []string{logs.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
		outs = append(outs, fmt.Sprintf(verb, c), fmt.Sprintf(verb, *c), fmt.Sprintf(verb, holder{*c, c}))
	}
	for _, out := range outs {
		assert.NotContains(t, out, cartevotest.ClientKey)
		assert.NotContains(t, out, fmt.Sprintf("%x", cartevotest.ClientKey))
		assert.NotContains(t, out, fmt.Sprintf("%X", cartevotest.ClientKey))
	}
	assert.Contains(t, fmt.Sprintf("%+v", *c), "cartevo.Client{baseURL: ")
}

func TestTokenSourceWithOAuth2(t *testing.T) {
	c, srv, _ := fakeClient(t, nil)
	ts := c.TokenSource()
	tok, err := ts.Token()
	require.NoError(t, err)
	own, err := c.AccessToken(bg)
	require.NoError(t, err)
	assert.Equal(t, own.Value, tok.AccessToken, "one mint shared with the client's own calls")
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, own.ExpiresAt, tok.Expiry, "the real expiry")
	assert.Equal(t, 1, srv.Mints())

	// A round trip through oauth2.NewClient over a ReuseTokenSource.
	hc := oauth2.NewClient(bg, oauth2.ReuseTokenSource(nil, ts))
	resp, err := hc.Get(c.URL("/wallets"))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), "wal_xaf_01")
	assert.Equal(t, 1, srv.Mints())
}

func TestHTTPClientBearerForTheProviderOnly(t *testing.T) {
	c, srv, _ := fakeClient(t, nil)
	var leaked atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization"))
	}))
	defer other.Close()
	hc := c.HTTPClient()

	resp, err := hc.Get(c.URL("/wallets"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	_, err = hc.Get(other.URL + "/api/v1/wallets")
	assert.ErrorIs(t, err, cartevo.ErrInvalidRequest)
	assert.Nil(t, leaked.Load(), "nothing reached the other host")

	// A revoked token: dropped, one mint, one retry.
	srv.RevokeTokens(cartevotest.ClientID)
	resp, err = hc.Get(c.URL("/wallets"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 2, srv.Mints())
	assert.Equal(t, 3, srv.APIRequests(), "the first call, then the refused request and one retry")
}

func TestDeadlineNamesTheCall(t *testing.T) {
	c, srv, _ := fakeClient(t, nil)
	srv.SetDelay(200 * time.Millisecond)
	ctx, cancel := context.WithTimeout(bg, 20*time.Millisecond)
	defer cancel()
	_, err := c.AccessToken(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, "cartevo: POST /api/v1/auth/token: context deadline exceeded", err.Error())
}

func TestWithRetryAllMethods(t *testing.T) {
	for _, retryAll := range []bool{false, true} {
		var posts atomic.Int32
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.URL.Path == "/api/v1/auth/token" {
				_, _ = io.WriteString(w, `{"access_token":"tok-abcdef","token_type":"Bearer","expires_in":3600}`)
				return
			}
			if posts.Add(1) == 1 {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			_, _ = io.WriteString(w, `{"success":true,"statusCode":201,"message":"ok","data":{"id":"tx_1"}}`)
		}))
		opts := []cartevo.Option{cartevo.WithBaseURL(api.URL + "/api/v1"), cartevo.WithRetryWait(time.Millisecond, time.Millisecond)}
		if retryAll {
			opts = append(opts, cartevo.WithRetryAllMethods())
		}
		c, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, opts...)
		require.NoError(t, err)
		err = c.Call(bg, http.MethodPost, "/transfers", map[string]int{"amount": 5}, nil)
		if retryAll {
			assert.NoError(t, err)
			assert.EqualValues(t, 2, posts.Load(), "POST retried after a 502")
		} else {
			assert.ErrorContains(t, err, "502")
			assert.EqualValues(t, 1, posts.Load(), "POST not retried by default")
		}
		c.Close()
		api.Close()
	}
}

func TestCloseWhileWaitingIsErrClosed(t *testing.T) {
	srv := cartevotest.NewServer()
	defer srv.Close()
	c, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL())) // its own cache
	require.NoError(t, err)
	srv.SetDelay(time.Second)
	done := make(chan error, 1)
	go func() { _, err := c.AccessToken(bg); done <- err }()
	require.Eventually(t, func() bool { return srv.TokenRequestsStarted() == 1 }, 2*time.Second, time.Millisecond)
	require.NoError(t, c.Close())
	err = <-done
	if !assert.ErrorIs(t, err, tokencache.ErrClosed) {
		t.Logf("got %v", err)
	}
}

// A struct holding a Client by value in an unexported field, printed with a
// verb that does not fit a pointer: fmt re-prints the inner *client with
// %v, so nothing secret may sit in it directly.
func TestClientInUnexportedFieldShowsNoCredential(t *testing.T) {
	c, _, _ := fakeClient(t, nil)
	type holder struct{ c cartevo.Client }
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x"} {
		for _, v := range []any{holder{*c}, &holder{*c}, []cartevo.Client{*c}} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, cartevotest.ClientKey, verb)
			assert.NotContains(t, out, fmt.Sprintf("%x", cartevotest.ClientKey), verb)
			assert.NotContains(t, out, strings.Trim(fmt.Sprint([]byte(cartevotest.ClientKey)[:8]), "[]"), verb)
		}
	}
}
