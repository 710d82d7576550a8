package appstle_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func FuzzTokenResponse(f *testing.F) {
	f.Add(200, docResponse)
	f.Add(200, `{"customerId": 12345, "token": "a.b.c"}`)
	f.Add(200, `{"customerId": 12345, "token": "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOiJzb29uIn0.x"}`)
	f.Add(404, `{"title":"Not Found","detail":"x"}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 100 || status > 599 {
			return
		}
		transport := roundTrip(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
		})
		clk := fakeclock.New(newClockAt())
		cache := tokencache.New(tokencache.WithClock(clk.Now))
		defer cache.Close()
		c, err := appstle.New(apiKey, appstle.WithHTTPClient(&http.Client{Transport: transport}),
			appstle.WithCache(cache), appstle.WithMaxAttempts(1))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.CustomerPortalToken(context.Background(), appstle.PortalTokenRequest{CustomerID: "12345"})
		if err != nil {
			if strings.Contains(err.Error(), apiKey) {
				t.Fatalf("key in %v", err)
			}
			return
		}
		if tok.Token == "" || tok.CustomerID != 12345 || !tok.ExpiresAt.After(cache.Now()) {
			t.Fatalf("unusable token returned: %v", tok)
		}
	})
}

func FuzzParseCustomerID(f *testing.F) {
	for _, s := range []string{"12345", "gid://shopify/Customer/12345", "0", "-1", "+1", "gid://shopify/Order/1", "99999999999999999999", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := appstle.ParseCustomerID(s)
		if err == nil && id <= 0 {
			t.Fatalf("ParseCustomerID(%q) = %d", s, id)
		}
	})
}
