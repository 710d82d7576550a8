package cartevo

import (
	"net/http"
	"strings"
	"testing"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// FuzzDecodeError calls Cartevo's error decoder directly (no cache, no
// recover): any body gives a bounded message without the client key.
func FuzzDecodeError(f *testing.F) {
	f.Add(`{"message": "Invalid client credentials", "error": "Unauthorized", "statusCode": 401}`)
	f.Add(`{"message":["client_id must be a string","ck_live_secret"],"error":"Bad Request","statusCode":400}`)
	f.Add(`{"message":{"nested":true}}`)
	hc, err := httpx.New(httpx.Config{Provider: name, BaseURL: DefaultBaseURL, DecodeError: decodeError, Secrets: []string{"ck_live_secret"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		e := hc.ErrorFor(&httpx.Response{StatusCode: 400, Header: http.Header{}, Body: []byte(body)}, 400)
		if strings.Contains(e.Error(), "ck_live_secret") || len(e.Message) > 400 {
			t.Fatalf("bad message %q", e.Message)
		}
	})
}
