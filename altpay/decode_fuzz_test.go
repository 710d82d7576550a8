package altpay

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// FuzzDecodeCheckout calls the init-answer decoder directly, with no cache
// (and so no recover) between the fuzzer and a panic: any body gives a
// usable token for the invoice asked for, expiring within the ceiling, or
// an error; the error decoder never lets the secret through.
func FuzzDecodeCheckout(f *testing.F) {
	f.Add(`{"token": "opaque", "expires_in": 600}`)
	f.Add(`{"access_token": "a.b.c", "expires_at": "2026-01-01T00:10:00Z"}`)
	f.Add(`{"token": "x", "expires_at": 1e300}`)
	f.Add(`{"code":"bad_request","message":"ap_secret","validation_errors":{"invoice_id":"must not be empty"}}`)
	hc, err := httpx.New(httpx.Config{Provider: name, BaseURL: DefaultBaseURL, DecodeError: decodeError, Secrets: []string{"ap_secret_value"}})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	req := CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"}
	f.Fuzz(func(t *testing.T, body string) {
		resp := &httpx.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
		tok, err := decodeCheckout(hc, resp, req, now)
		if err == nil {
			if httpx.CheckToken(tok.Value) != nil || !tok.ExpiresAt.After(now) || tok.ExpiresAt.After(now.Add(maxCheckoutLifetime)) {
				t.Fatalf("unusable token %#v", tok)
			}
			if claims, ok := readClaims(tok.Value); ok && (claims.CustomerID != "" && claims.CustomerID != "cus_1" || claims.InvoiceID != "" && claims.InvoiceID != "inv_1") {
				t.Fatalf("token for another invoice: %+v", claims)
			}
		}
		e := hc.ErrorFor(&httpx.Response{StatusCode: 400, Header: http.Header{}, Body: []byte(body + " ap_secret_value")}, 400)
		if strings.Contains(e.Error(), "ap_secret_value") {
			t.Fatalf("secret in %q", e.Error())
		}
	})
}
