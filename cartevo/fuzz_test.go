package cartevo_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzTokenResponse: whatever /auth/token answers, the client returns a
// valid token or an error; it never panics and never quotes the secret.
func FuzzTokenResponse(f *testing.F) {
	f.Add(200, docSuccess)
	f.Add(401, docError)
	f.Add(400, `{"message":["a","b"],"statusCode":400}`)
	f.Add(200, `{"access_token":"x","expires_in":1e308}`)
	f.Add(200, `{"access_token":"x","expires_in":-1}`)
	f.Add(500, `<html>`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 100 || status > 599 {
			return
		}
		transport := roundTrip(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
		})
		cache := tokencache.New(tokencache.WithClock(newClock().Now))
		defer cache.Close()
		c, err := cartevo.New(clientID, secret, cartevo.WithHTTPClient(&http.Client{Transport: transport}),
			cartevo.WithCache(cache), cartevo.WithMaxAttempts(1))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		tok, err := c.AccessToken(ctx)
		switch {
		case err != nil:
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("secret in %v", err)
			}
		case tok.Value == "" || !tok.ExpiresAt.After(cache.Now()):
			t.Fatalf("invalid token returned: %v", tok)
		}
	})
}
