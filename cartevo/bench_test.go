package cartevo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/checkoutkit/checkoutkit/cartevo"
)

// BenchmarkMint measures one full mint over loopback: through the SDK
// (validation, retry layer, bounded read, decode, cache install) beside a
// minimal hand-written net/http + encoding/json call, against the same
// static server in the same run.
func BenchmarkMint(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, docSuccess)
	}))
	defer srv.Close()
	ctx := context.Background()

	b.Run("impl=handwritten", func(b *testing.B) {
		hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		defer hc.CloseIdleConnections()
		b.ReportAllocs()
		for range b.N {
			body, _ := json.Marshal(map[string]string{"client_id": clientID, "client_key": secret})
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/v1/auth/token", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var tr struct {
				AccessToken string `json:"access_token"`
				ExpiresIn   int    `json:"expires_in"`
			}
			err = json.NewDecoder(resp.Body).Decode(&tr)
			resp.Body.Close()
			if err != nil || tr.AccessToken == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=checkoutkit", func(b *testing.B) {
		c, err := cartevo.New(clientID, secret, cartevo.WithBaseURL(srv.URL+"/api/v1"))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		b.ReportAllocs()
		for range b.N {
			tok, err := c.AccessToken(ctx)
			if err != nil {
				b.Fatal(err)
			}
			c.InvalidateToken(tok) // so the next call mints again
		}
	})
}
