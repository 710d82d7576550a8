package cartevo_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/cartevo"
)

// A request whose URL is opaque ("//attacker.example/steal") goes to the
// base URL's host but names another host in its request line, which a
// server or front end routes on as it would on a Host header (Go's own
// server reports it as r.Host). Like a foreign Host field, it must be
// refused before a token is attached, on every path that attaches one.
func TestOpaqueURLNamingAnotherHostGetsNoToken(t *testing.T) {
	var leaked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth/token" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"tok_opaque_1234","token_type":"Bearer","expires_in":3600}`))
			return
		}
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
			t.Errorf("token sent for host %q (request target %q)", r.Host, r.RequestURI)
		}
	}))
	defer srv.Close()
	c, err := cartevo.New("id", "secret", cartevo.WithBaseURL(srv.URL))
	require.NoError(t, err)
	defer c.Close()
	base, err := url.Parse(srv.URL)
	require.NoError(t, err)

	oauthClient := &http.Client{Transport: c.OAuth2Transport(nil)}
	for name, do := range map[string]func(*http.Request) (*http.Response, error){
		"Do": c.Do, "HTTPClient": c.HTTPClient().Do, "OAuth2Transport": oauthClient.Do,
	} {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/wallets", nil)
		require.NoError(t, err)
		req.URL = &url.URL{Scheme: base.Scheme, Host: base.Host, Opaque: "//attacker.example/steal"}
		resp, err := do(req)
		if resp != nil {
			resp.Body.Close()
		}
		assert.ErrorIs(t, err, cartevo.ErrInvalidRequest, name)
	}
	assert.Zero(t, leaked.Load())
}
