package appstle

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// FuzzDecodeToken calls the portal-token decoder directly, with no cache
// (and so no recover) between the fuzzer and a panic: any body gives a
// usable token for the customer asked for, expiring within two hours, or an
// error; the error decoder never lets the key through.
func FuzzDecodeToken(f *testing.F) {
	f.Add(`{"customerId": 12345, "token": "eyJhbGciOiJIUzI1NiJ9.eyJjdXN0b21lcklkIjoxMjM0NSwic2hvcCI6Im15c3RvcmUubXlzaG9waWZ5LmNvbSIsInRpbWVzdGFtcCI6MTcwOTU2MjAwMH0.abc123xyz789"}`, int64(12345))
	f.Add(`{"customerId": 12345, "token": "a.b.c"}`, int64(0))
	f.Add(`{"customerId": 12345, "token": "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOiJzb29uIn0.x"}`, int64(12345))
	f.Add(`{"title":"Customer Email does not exist","message":"error.invalidCustomer","errorKey":"invalidCustomer"}`, int64(0))
	hc, err := httpx.New(httpx.Config{Provider: name, BaseURL: DefaultBaseURL, DecodeError: decodeError, Secrets: []string{"apst_live_secret"}})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2024, 3, 4, 14, 21, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string, wantID int64) {
		resp := &httpx.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
		tok, err := decodeToken(hc, resp, wantID, now)
		if err == nil {
			if httpx.CheckToken(tok.Value) != nil || tok.ExpiresAt.After(now.Add(TokenLifetime)) || tok.Extra[extraCustomerID] == "" ||
				wantID > 0 && tok.Extra[extraCustomerID] != strconv.FormatInt(wantID, 10) {
				t.Fatalf("unusable token %#v", tok)
			}
		}
		e := hc.ErrorFor(&httpx.Response{StatusCode: 400, Header: http.Header{}, Body: []byte(body + " apst_live_secret")}, 400)
		if strings.Contains(e.Error(), "apst_live_secret") {
			t.Fatalf("key in %q", e.Error())
		}
	})
}
