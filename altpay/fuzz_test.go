package altpay_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/checkoutkit/checkoutkit/altpay"
)

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzInitResponse: any init answer yields a token for the invoice asked
// for, or an error; never a panic or the secret in an error.
func FuzzInitResponse(f *testing.F) {
	f.Add(200, `{"token": "opaque", "expires_in": 600}`)
	f.Add(200, `{"token": "a.b.c", "expires_at": "2999-01-01T00:00:00Z"}`)
	f.Add(200, `{"token": "x", "expires_at": 99999999999999999999}`)
	f.Add(422, `{"errors": [{"field": "invoice_id", "message": "closed"}]}`)
	f.Add(404, `{}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 100 || status > 599 {
			return
		}
		transport := roundTrip(func(r *http.Request) (*http.Response, error) {
			out := body
			code := status
			if r.URL.Path == "/oauth/token" {
				code, out = 200, docAccess
			}
			return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(out)), Request: r}, nil
		})
		clk := newClock()
		c, err := altpay.New(clientID, secret, altpay.WithHTTPClient(&http.Client{Transport: transport}),
			altpay.WithCache(newCache(t, clk)), altpay.WithMaxAttempts(1))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.CheckoutToken(context.Background(), altpay.CheckoutTokenRequest{CustomerID: "c", InvoiceID: "i"})
		if err != nil {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("secret in %v", err)
			}
			return
		}
		if tok.Token == "" || !tok.ExpiresAt.After(clk.Now()) ||
			tok.Claims.InvoiceID != "" && tok.Claims.InvoiceID != "i" {
			t.Fatalf("unusable token returned: %v", tok)
		}
	})
}
