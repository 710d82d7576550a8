package altpay_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
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
	"golang.org/x/oauth2"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
)

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

func jsonLogs() (*slog.Logger, *logBuffer) {
	buf := new(logBuffer)
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// Issue 10 #2: the access token the SDK sent, echoed back by the init
// endpoint, never reaches the error or the logs.
func TestEchoedAccessTokenIsRedacted(t *testing.T) {
	const access = "ACCESS-opaque-77aa88bb99cc"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/oauth/token" {
			_, _ = io.WriteString(w, `{"access_token":"`+access+`","expires_in":3600,"token_type":"bearer"}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"message":"token `+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+` is not valid"}`)
	}))
	defer api.Close()
	logger, logs := jsonLogs()
	c, err := altpay.New(clientID, secret, altpay.WithBaseURL(api.URL), altpay.WithLogger(logger))
	require.NoError(t, err)
	defer c.Close()
	_, initErr := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"})
	require.ErrorIs(t, initErr, altpay.ErrInvalidRequest)
	assert.Contains(t, initErr.Error(), "token [redacted] is not valid")

	// Through Do as well (its answer is the caller's to read).
	req, _ := http.NewRequest(http.MethodPost, api.URL+"/v1/checkout-auth/init", strings.NewReader(`{}`))
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()

	basic := base64.StdEncoding.EncodeToString([]byte(clientID + ":" + secret))
	for _, out := range []string{initErr.Error(), fmt.Sprintf("%+v", initErr), logs.String()} {
		assert.NotContains(t, out, access)
		assert.NotContains(t, out, secret)
		assert.NotContains(t, out, basic)
	}
	assert.Contains(t, logs.String(), `"level":"DEBUG"`, "the logger did record")
}

// Issue 10 #3: a redirect from https to http or another host, of the token
// request or of init, is an error naming the 3xx; neither the Basic header
// nor the bearer token reaches the other server. Also with a caller's
// client that has no CheckRedirect.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var stolen atomic.Int32
	var auth atomic.Value
	thief := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		auth.Store(r.Header.Get("Authorization"))
	}))
	defer thief.Close()
	for _, redirected := range []string{"/oauth/token", "/v1/checkout-auth/init"} {
		api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == redirected {
				http.Redirect(w, r, thief.URL+r.URL.Path, http.StatusTemporaryRedirect) // https -> http, another port
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"access_token":"opaque-access-token-123","expires_in":3600,"token_type":"bearer"}`)
		}))
		for name, hc := range map[string]*http.Client{
			"the server's client":         api.Client(),
			"a client without redirects":  {Transport: api.Client().Transport},
			"a client following anything": {Transport: api.Client().Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return nil }},
		} {
			c, err := altpay.New(clientID, secret, altpay.WithBaseURL(api.URL), altpay.WithHTTPClient(hc))
			require.NoError(t, err)
			_, err = c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"})
			var ae *altpay.APIError
			require.ErrorAs(t, err, &ae, "%s, %s", redirected, name)
			assert.Equal(t, http.StatusTemporaryRedirect, ae.StatusCode)
			assert.Equal(t, redirected, ae.Path)
			assert.Contains(t, err.Error(), "307")
			assert.ErrorIs(t, err, altpay.ErrUnexpectedResponse)
			c.Close()
		}
		api.Close()
	}
	assert.Zero(t, stolen.Load(), "nothing reached the other server")
	assert.Nil(t, auth.Load())
}

// Issue 10 #5.
func TestClientPrintedByValueShowsNoCredential(t *testing.T) {
	c, _, _ := fake(t)
	type holder struct {
		C altpay.Client
		P *altpay.Client
	}
	type private struct{ c altpay.Client }
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("c", "client", c, "value", *c, "held", holder{*c, c})
	slog.New(slog.NewTextHandler(&buf, nil)).Info("c", "client", c, "value", *c, "held", holder{*c, c})
	outs := []string{buf.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		outs = append(outs, fmt.Sprintf(verb, c), fmt.Sprintf(verb, *c), fmt.Sprintf(verb, holder{*c, c}), fmt.Sprintf(verb, private{*c}))
	}
	basic := base64.StdEncoding.EncodeToString([]byte(altpaytest.ClientID + ":" + altpaytest.ClientSecret))
	for _, out := range outs {
		for _, s := range []string{altpaytest.ClientSecret, basic} {
			assert.NotContains(t, out, s)
			assert.NotContains(t, out, fmt.Sprintf("%x", s))
			assert.NotContains(t, out, fmt.Sprintf("%X", s))
		}
	}
	assert.Equal(t, c.String(), fmt.Sprintf("%+v", *c))
	assert.Contains(t, fmt.Sprintf("%#v", *c), "altpay.Client{baseURL: http://127.0.0.1:")
	assert.Contains(t, buf.String(), `"provider":"altpay"`, "LogValue by value")
}

// Issue 10 #6.
func TestCheckoutTokenLogsRedacted(t *testing.T) {
	c, _, _ := fake(t)
	tok, err := c.CheckoutToken(bg, altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"})
	require.NoError(t, err)
	for _, h := range []func(io.Writer) slog.Handler{
		func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
		func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("x", "tok", tok, "tokv", *tok)
		assert.NotContains(t, buf.String(), tok.Token)
		assert.NotContains(t, buf.String(), tok.Token[:20])
		assert.Contains(t, buf.String(), "inv_1")
	}
}

// Issue 12: TokenSource in oauth2.NewClient, one mint shared with
// AccessToken.
func TestTokenSourceWithOAuth2(t *testing.T) {
	c, srv, _ := fake(t, altpaytest.WithRateLimit(0))
	ts := c.TokenSource()
	tok, err := ts.Token()
	require.NoError(t, err)
	own, err := c.AccessToken(bg)
	require.NoError(t, err)
	assert.Equal(t, own.Value, tok.AccessToken)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, own.ExpiresAt, tok.Expiry, "the real expiry")

	hc := oauth2.NewClient(bg, oauth2.ReuseTokenSource(nil, ts))
	resp, err := hc.Post(srv.URL()+"/v1/checkout-auth/init", "application/json", strings.NewReader(`{"customer_id":"cus_1","invoice_id":"inv_9"}`))
	require.NoError(t, err)
	var out struct{ Token string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the fake accepted the bearer")
	assert.NotEmpty(t, out.Token)
	assert.Equal(t, 1, srv.TokenRequests(), "one mint for AccessToken, TokenSource and the oauth2 client")
	assert.Equal(t, 1, srv.CheckoutTokens())
}

// Issue 12: HTTPClient sends the bearer to the base host only, and on a 401
// drops that token, mints once and retries once, replaying the body.
func TestHTTPClient(t *testing.T) {
	c, srv, _ := fake(t, altpaytest.WithRateLimit(0))
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { leaked.Add(1) }))
	defer other.Close()
	hc := c.HTTPClient()

	_, err := hc.Post(other.URL+"/v1/checkout-auth/init", "application/json", strings.NewReader(`{}`))
	require.Error(t, err)
	assert.ErrorIs(t, err, altpay.ErrInvalidRequest)
	assert.Zero(t, leaked.Load(), "the other server saw no request at all")
	assert.Equal(t, 0, srv.TokenRequests(), "not even a mint for a request going elsewhere")

	post := func(invoice string) (int, string) {
		body := `{"customer_id":"cus_1","invoice_id":"` + invoice + `"}`
		req, err := http.NewRequest(http.MethodPost, srv.URL()+"/v1/checkout-auth/init", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out struct{ Token string }
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out.Token
	}
	status, _ := post("inv_1")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, 1, srv.TokenRequests())

	srv.RevokeTokens(altpaytest.ClientID)
	calls := srv.CheckoutTokenRequests("/v1/checkout-auth/init")
	status, tok := post("inv_2")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, 2, srv.TokenRequests(), "exactly one refresh")
	assert.Equal(t, calls+2, srv.CheckoutTokenRequests("/v1/checkout-auth/init"), "the refused request and one retry")
	claims := jwt.MapClaims{}
	_, _, err = jwt.NewParser().ParseUnverified(tok, claims)
	require.NoError(t, err)
	assert.Equal(t, "inv_2", claims["invoice_id"], "the retry carried the body")
}

// The retry replays the body through GetBody: the fake decodes the body of
// the retried request, so a lost body would be a 400.
func TestHTTPClientReplaysTheBodyAfter401(t *testing.T) {
	c, srv, _ := fake(t, altpaytest.WithRateLimit(0))
	_, err := c.AccessToken(bg)
	require.NoError(t, err)
	srv.RevokeTokens(altpaytest.ClientID)
	var gets atomic.Int32
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/v1/checkout-auth/init", strings.NewReader(`{"customer_id":"cus_1","invoice_id":"inv_7"}`))
	require.NoError(t, err)
	getBody := req.GetBody
	req.GetBody = func() (io.ReadCloser, error) { gets.Add(1); return getBody() }
	resp, err := c.HTTPClient().Do(req)
	require.NoError(t, err)
	var out struct{ Token string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.GreaterOrEqual(t, gets.Load(), int32(2), "the body was read afresh for the retry")
	assert.Equal(t, 2, srv.TokenRequests())
}

// Issue 12: RefreshHandler headers, error table, Warn logs, nil authorize.
func TestRefreshHandlerTable(t *testing.T) {
	logger, logs := jsonLogs()
	srv := altpaytest.NewServer(altpaytest.WithRateLimit(0))
	defer srv.Close()
	c, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()), altpay.WithLogger(logger))
	require.NoError(t, err)
	defer c.Close()
	h := c.RefreshHandler(func(r *http.Request) (altpay.CheckoutTokenRequest, error) {
		switch inv := r.URL.Query().Get("invoice"); inv {
		case "":
			return altpay.CheckoutTokenRequest{}, fmt.Errorf("no session: %w", altpay.ErrUnauthorized)
		case "gone":
			return altpay.CheckoutTokenRequest{}, fmt.Errorf("no such invoice: %w", altpay.ErrNotFound)
		case "garbled":
			return altpay.CheckoutTokenRequest{}, fmt.Errorf("bad form: %w", altpay.ErrInvalidRequest)
		case "theirs":
			return altpay.CheckoutTokenRequest{}, errors.New("invoice belongs to someone else")
		case "blank":
			return altpay.CheckoutTokenRequest{CustomerID: "cus_1"}, nil
		default:
			return altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: inv}, nil
		}
	})
	serve := func(method, invoice string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "/checkout/token?invoice="+invoice, nil))
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"), invoice)
		assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"), invoice)
		return rec
	}
	rec := serve(http.MethodPost, "inv_1")
	require.Equal(t, http.StatusOK, rec.Code)
	var ok struct{ Token string }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &ok))

	refusals := map[string]int{"": 401, "gone": 404, "garbled": 400, "theirs": 403, "blank": 400}
	for inv, want := range refusals {
		rec := serve(http.MethodPost, inv)
		assert.Equal(t, want, rec.Code, inv)
		assert.Equal(t, http.StatusText(want)+"\n", rec.Body.String(), inv)
	}
	assert.Equal(t, http.StatusMethodNotAllowed, serve(http.MethodGet, "inv_1").Code)

	var warns []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		if m["level"] == "WARN" && m["msg"] == "checkoutkit handler refused" {
			warns = append(warns, m)
			assert.Equal(t, "altpay.RefreshHandler", m["handler"])
			assert.NotEmpty(t, m["reason"])
		}
	}
	assert.Len(t, warns, len(refusals)+1)
	out := logs.String()
	assert.Contains(t, out, `"field":"InvoiceID"`)
	assert.Contains(t, out, "invoice belongs to someone else")
	assert.NotContains(t, out, ok.Token)
	assert.NotContains(t, out, altpaytest.ClientSecret)

	assert.Panics(t, func() { c.RefreshHandler(nil) })
}

// The provider side of the table: not found 404, rate limited 503, failing
// 502.
func TestRefreshHandlerProviderErrors(t *testing.T) {
	for status, want := range map[int]int{404: 404, 429: 503, 500: 502, 403: 502} {
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.URL.Path == "/oauth/token" {
				_, _ = io.WriteString(w, `{"access_token":"opaque-access-token-123","expires_in":3600,"token_type":"bearer"}`)
				return
			}
			if status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "60")
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `{"message":"nope"}`)
		}))
		logger, logs := jsonLogs()
		c, err := altpay.New(clientID, secret, altpay.WithBaseURL(api.URL), altpay.WithLogger(logger),
			altpay.WithRetryWait(time.Millisecond, time.Millisecond), altpay.WithMaxRetryAfter(time.Millisecond))
		require.NoError(t, err)
		rec := httptest.NewRecorder()
		c.RefreshHandler(func(*http.Request) (altpay.CheckoutTokenRequest, error) {
			return altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i"}, nil
		}).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
		assert.Equal(t, want, rec.Code, status)
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"))
		assert.Contains(t, logs.String(), fmt.Sprintf(`"provider_status":%d`, status))
		assert.NotContains(t, logs.String(), "opaque-access-token-123")
		c.Close()
		api.Close()
	}
}

// Issue 11: the fake takes the token request as a form and as JSON, with
// Basic auth either way.
func TestFakeTokenRequestAsFormAndJSON(t *testing.T) {
	srv := altpaytest.NewServer(altpaytest.WithRateLimit(0))
	defer srv.Close()
	for ct, body := range map[string]string{
		"application/x-www-form-urlencoded": "grant_type=client_credentials",
		"application/json":                  `{"grant_type":"client_credentials"}`,
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/oauth/token", strings.NewReader(body))
		req.SetBasicAuth(altpaytest.ClientID, altpaytest.ClientSecret)
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var v struct {
			AccessToken string  `json:"access_token"`
			ExpiresIn   float64 `json:"expires_in"`
			TokenType   string  `json:"token_type"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, ct)
		assert.NotEmpty(t, v.AccessToken, ct)
		assert.Equal(t, float64(3600), v.ExpiresIn, ct)

		// The token works on init.
		init, _ := http.NewRequest(http.MethodPost, srv.URL()+"/v1/checkout-auth/init", strings.NewReader(`{"customer_id":"c","invoice_id":"i"}`))
		init.Header.Set("Authorization", "Bearer "+v.AccessToken)
		resp, err = http.DefaultClient.Do(init)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, ct)
	}
	for ct, body := range map[string]string{
		"application/json":                  `{"grant_type":"password"}`,
		"application/x-www-form-urlencoded": "grant_type=password",
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/oauth/token", strings.NewReader(body))
		req.SetBasicAuth(altpaytest.ClientID, altpaytest.ClientSecret)
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
	}
}

func TestFakeWithoutExpiresIn(t *testing.T) {
	c, srv, clk := fake(t, altpaytest.WithoutExpiresIn())
	tok, err := c.AccessToken(bg)
	require.NoError(t, err)
	assert.WithinDuration(t, clk.Now().Add(altpay.DefaultAccessTokenLifetime), tok.ExpiresAt, near)

	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth(altpaytest.ClientID, altpaytest.ClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	resp.Body.Close()
	assert.NotContains(t, v, "expires_in")
	assert.Contains(t, v, "access_token")
}
