package crovver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// FuzzDecodeToken calls the decoders directly, with no cache (and so no
// recover) between the fuzzer and a panic: any body yields a usable token
// with an https (or loopback) page URL, or an error.
func FuzzDecodeToken(f *testing.F) {
	f.Add(`{"success":true,"data":{"token":"t"},"meta":{"checkoutUrl":"https://p.example/x","expiresIn":600}}`, false)
	f.Add(`{"success":true,"data":{"token":"t","expiresAt":"2999-01-01T00:00:00Z","portalUrl":"https://p.example/b"}}`, true)
	f.Add(`{"success":false,"data":null,"error":{"message":"m","code":"TENANT_NOT_FOUND"}}`, false)
	f.Add(`{"success":true,"data":{"token":"t\u0000x"},"meta":{"checkoutUrl":"javascript:x","expiresIn":1e308}}`, false)
	hc, err := httpx.New(httpx.Config{Provider: name, BaseURL: "https://app.crovver.com", DecodeError: decodeError, Secrets: []string{"pk_live_secret"}})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string, portal bool) {
		path := checkoutPath
		if portal {
			path = portalPath
		}
		resp := &httpx.Response{StatusCode: 201, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body), Method: "POST", Path: path}
		tok, err := decodeToken(hc, resp, path, now)
		if err != nil {
			return
		}
		if httpx.CheckToken(tok.Value) != nil || httpx.CheckRedirectURL(tok.Extra[pageURL]) != nil ||
			!tok.ExpiresAt.After(now) || tok.ExpiresAt.After(now.Add(maxLifetime)) {
			t.Fatalf("unusable token: %#v %q", tok, tok.Extra[pageURL])
		}
		// The error decoder too, on the same bytes.
		e := hc.ErrorFor(resp, http.StatusBadRequest)
		if strings.Contains(e.Error(), "pk_live_secret") {
			t.Fatal("key in error")
		}
	})
}

// FuzzDecodeError: any error body gives a bounded, secret-free message.
func FuzzDecodeError(f *testing.F) {
	f.Add(`{"success":false,"data":null,"error":{"message":"pk_live_secret is bad","code":"INVALID_PUBLIC_KEY"}}`)
	f.Add(`{"error":null}`)
	f.Add(`[]`)
	hc, err := httpx.New(httpx.Config{Provider: name, BaseURL: "https://app.crovver.com", DecodeError: decodeError, Secrets: []string{"pk_live_secret"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		e := hc.ErrorFor(&httpx.Response{StatusCode: 400, Header: http.Header{}, Body: []byte(body)}, 400)
		if strings.Contains(e.Error(), "pk_live_secret") || len(e.Message) > 400 {
			t.Fatalf("bad message %q", e.Message)
		}
	})
}
