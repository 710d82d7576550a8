package crovver_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzTokenResponse: any answer yields a usable token with an https (or
// loopback) URL, or an error; never a panic or the key in an error.
func FuzzTokenResponse(f *testing.F) {
	f.Add(201, docCheckout)
	f.Add(200, docError("m", "TENANT_NOT_FOUND"))
	f.Add(201, `{"success":true,"data":{"token":"t"},"meta":{"checkoutUrl":"javascript:x","expiresIn":600}}`)
	f.Add(201, `{"success":true,"data":{"token":"t","expiresAt":"2999-01-01T00:00:00Z"},"meta":{"checkoutUrl":"https://a.b/c"}}`)
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
		c, err := crovver.New(publicKey, crovver.WithHTTPClient(&http.Client{Transport: transport}),
			crovver.WithCache(cache), crovver.WithMaxAttempts(1))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.CheckoutToken(context.Background(), fullRequest)
		if err != nil {
			if strings.Contains(err.Error(), publicKey) {
				t.Fatalf("key in %v", err)
			}
			return
		}
		if tok.Token == "" || httpx.CheckRedirectURL(tok.CheckoutURL) != nil || !tok.ExpiresAt.After(cache.Now()) {
			t.Fatalf("unusable token returned: %#v %q", tok, tok.CheckoutURL)
		}
	})
}
