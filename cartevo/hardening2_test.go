package cartevo_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// api is a Cartevo stand-in: /auth/token mints numbered tokens, and every
// other path answers with handle.
type api struct {
	*httptest.Server
	mints  atomic.Int32
	bodies chan string
}

func newAPI(t *testing.T, handle http.HandlerFunc) (*api, *cartevo.Client) {
	t.Helper()
	a := &api{bodies: make(chan string, 100)}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/auth/token" {
			n := a.mints.Add(1)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":"ACCESS-%04d-abcdef","token_type":"Bearer","expires_in":3600}`, n)
			return
		}
		b, _ := io.ReadAll(r.Body)
		select {
		case a.bodies <- string(b):
		default:
		}
		handle(w, r)
	}))
	t.Cleanup(a.Close)
	c, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(a.URL+"/api/v1"))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return a, c
}

const modeGuard = `{"success":false,"statusCode":403,"message":"Access denied: this action is not allowed in preproduction mode"}`

// Cartevo's mode guard (403 "not allowed in preproduction mode") is not
// about the token: it matches ErrEnvironment, not ErrUnauthorized, drops
// no token, starts no backoff, and the next call still works.
func TestEnvironment403IsNotATokenProblem(t *testing.T) {
	var guard atomic.Bool
	guard.Store(true)
	a, c := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if guard.Load() {
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, modeGuard)
			return
		}
		_, _ = io.WriteString(w, `{"success":true,"statusCode":200,"data":{"ok":true}}`)
	})
	before, err := c.AccessToken(bg)
	require.NoError(t, err)
	for range 3 {
		err := c.Call(bg, http.MethodPost, "/payouts", map[string]int{"amount": 1}, nil)
		require.ErrorIs(t, err, cartevo.ErrEnvironment)
		require.ErrorIs(t, err, checkoutkit.ErrEnvironment)
		assert.NotErrorIs(t, err, cartevo.ErrUnauthorized)
		var ae *cartevo.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, 403, ae.StatusCode)
		assert.Contains(t, ae.Message, "preproduction mode")
		var skip tokencache.BackoffSkipper
		require.True(t, errors.As(err, &skip))
		assert.True(t, skip.SkipBackoff())

		req, _ := http.NewRequest(http.MethodGet, c.URL("/wallets"), nil)
		resp, err := c.Do(req)
		require.NoError(t, err)
		assert.Equal(t, 403, resp.StatusCode)
		assert.ErrorIs(t, c.DecodeEnvelope(resp, nil), cartevo.ErrEnvironment, "Do's answer decodes to the same error")
	}
	after, err := c.AccessToken(bg)
	require.NoError(t, err)
	assert.Equal(t, before.Value, after.Value, "the token was not dropped")
	assert.EqualValues(t, 1, a.mints.Load())
	guard.Store(false)
	require.NoError(t, c.Call(bg, http.MethodGet, "/wallets", nil, nil))

	// A 2xx envelope carrying the guard's failure reads the same.
	_, c2 := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, modeGuard)
	})
	err = c2.Call(bg, http.MethodGet, "/wallets", nil, nil)
	assert.ErrorIs(t, err, cartevo.ErrEnvironment)
	assert.NotErrorIs(t, err, cartevo.ErrUnauthorized)

	// Any other 403 still means the token is refused.
	_, c3 := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"success":false,"statusCode":403,"message":"Forbidden resource"}`)
	})
	err = c3.Call(bg, http.MethodGet, "/wallets", nil, nil)
	assert.ErrorIs(t, err, cartevo.ErrUnauthorized)
	assert.NotErrorIs(t, err, cartevo.ErrEnvironment)
}

// Call sends in as the JSON body, with its content type.
func TestCallSendsTheJSONBody(t *testing.T) {
	var ct atomic.Value
	a, c := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		ct.Store(r.Header.Get("Content-Type"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"success":true,"statusCode":201,"data":{"id":"pay_1"}}`)
	})
	var out struct{ ID string }
	require.NoError(t, c.Call(bg, http.MethodPost, "/payouts", map[string]any{"amount": 1000, "currency": "XAF"}, &out))
	assert.Equal(t, "pay_1", out.ID)
	var sent map[string]any
	require.NoError(t, json.Unmarshal([]byte(<-a.bodies), &sent))
	assert.Equal(t, map[string]any{"amount": float64(1000), "currency": "XAF"}, sent)
	assert.Equal(t, "application/json", ct.Load())
}

// A 401 storm is not a mint storm, through every request path of the
// client: 30 sequential requests, and 16 goroutines × 5, to an endpoint
// that refuses every token make at most 2 mints.
func TestUnauthorizedStormMintsAtMostTwice(t *testing.T) {
	refuse := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"success":false,"statusCode":401,"message":"Unauthorized"}`)
	}
	paths := map[string]func(c *cartevo.Client) error{
		"Do": func(c *cartevo.Client) error {
			req, _ := http.NewRequest(http.MethodGet, c.URL("/wallets"), nil)
			resp, err := c.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			return err
		},
		"HTTPClient": func(c *cartevo.Client) error {
			resp, err := c.HTTPClient().Post(c.URL("/payouts"), "application/json", strings.NewReader(`{}`))
			if err == nil {
				resp.Body.Close()
			}
			return err
		},
		"Call": func(c *cartevo.Client) error {
			if err := c.Call(bg, http.MethodGet, "/wallets", nil, nil); !errors.Is(err, cartevo.ErrUnauthorized) {
				return fmt.Errorf("want a 401, got %v", err)
			}
			return nil
		},
	}
	for name, call := range paths {
		t.Run(name, func(t *testing.T) {
			a, c := newAPI(t, refuse)
			for range 30 {
				require.NoError(t, call(c))
			}
			assert.LessOrEqual(t, a.mints.Load(), int32(2), "sequential")

			a, c = newAPI(t, refuse)
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					for range 5 {
						assert.NoError(t, call(c))
					}
				})
			}
			wg.Wait()
			assert.LessOrEqual(t, a.mints.Load(), int32(2), "concurrent")
		})
	}
}

// No documented path sends the token to another host: not Do, not
// HTTPClient, not OAuth2Transport, whether the request names another host,
// its Host field names one, or the provider redirects to one.
func TestNoPathSendsTheTokenElsewhere(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
	}))
	defer other.Close()
	var hostSeen atomic.Value
	_, c := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		hostSeen.Store(r.Host)
		http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
	})
	oauthClient := &http.Client{Transport: c.OAuth2Transport(nil)}
	send := map[string]func(*http.Request) (*http.Response, error){
		"Do":              c.Do,
		"HTTPClient":      c.HTTPClient().Do,
		"OAuth2Transport": oauthClient.Do,
	}
	for name, do := range send {
		for _, target := range []string{other.URL + "/direct", c.URL("/redirect")} {
			req, _ := http.NewRequest(http.MethodGet, target, nil)
			if resp, err := do(req); err == nil {
				resp.Body.Close()
				assert.Equal(t, http.StatusFound, resp.StatusCode, "%s %s: a redirect comes back, not followed", name, target)
			}
		}
		req, _ := http.NewRequest(http.MethodGet, c.URL("/wallets"), nil)
		req.Host = "attacker.example"
		_, err := do(req)
		assert.ErrorIs(t, err, cartevo.ErrInvalidRequest, "%s: Host field", name)
	}
	assert.Zero(t, leaked.Load(), "no token reached another host")
	assert.NotEqual(t, "attacker.example", hostSeen.Load(), "no request went out with Host: attacker.example")
}

// New refuses, naming the option, every value another layer would replace
// silently.
func TestNewRefusesOptionsThatWouldBeReplaced(t *testing.T) {
	for opt, o := range map[string]cartevo.Option{
		"WithMaxAttempts":   cartevo.WithMaxAttempts(-1),
		"WithRetryWait":     cartevo.WithRetryWait(3*time.Second, 0),
		"WithMaxRetryAfter": cartevo.WithMaxRetryAfter(time.Hour),
	} {
		_, err := cartevo.New("id", "key", o)
		require.ErrorIs(t, err, cartevo.ErrInvalidRequest, opt)
		assert.Contains(t, err.Error(), opt)
	}
}
