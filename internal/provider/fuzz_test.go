package provider

import (
	"net/http"
	"testing"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// FuzzAccessToken calls the OAuth token decoder (Cartevo's and Alternative
// Payments' access tokens) directly, with no cache and so no recover
// between the fuzzer and a panic: any body gives a usable Bearer token with
// a bounded lifetime, or an error.
func FuzzAccessToken(f *testing.F) {
	f.Add(`{"access_token":"eyJ.x.y","token_type":"Bearer","expires_in":3600}`, int64(0))
	f.Add(`{"access_token":"x","expires_in":1e308}`, int64(3600))
	f.Add(`{"access_token":"x","token_type":"mac","expires_in":-1}`, int64(0))
	f.Add(`{"access_token":"a\u0000b"}`, int64(3600))
	b, err := Build("fuzz", Settings{BaseURL: "https://api.example.com"}, nil)
	if err != nil {
		f.Fatal(err)
	}
	defer b.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string, defaultSecs int64) {
		def := time.Duration(defaultSecs%(400*24*3600)) * time.Second
		if def < 0 {
			def = -def
		}
		resp := &httpx.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
		tok, err := b.AccessToken(resp, now, def)
		if err != nil {
			return
		}
		limit := MaxLifetime
		if def > limit {
			limit = def
		}
		if httpx.CheckToken(tok.Value) != nil || tok.Type != "Bearer" || !tok.ExpiresAt.After(now) || tok.ExpiresAt.After(now.Add(limit)) {
			t.Fatalf("unusable token %#v", tok)
		}
	})
}
