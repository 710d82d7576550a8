package altpaytest_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
)

// A 429's Retry-After tells when the window admits another request: it
// said 1 s whatever the window, so a client honouring it against
// WithRateLimit(1, 10*time.Second) came back nine times too early.
func TestRateLimitRetryAfterFollowsTheWindow(t *testing.T) {
	srv := altpaytest.NewServer(altpaytest.WithRateLimit(1, 10*time.Second))
	defer srv.Close()
	post := func() *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(altpaytest.ClientID, altpaytest.ClientSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := post(); resp.StatusCode != http.StatusOK {
		t.Fatalf("first request: %d", resp.StatusCode)
	}
	resp := post()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second request: %d, want 429", resp.StatusCode)
	}
	if s, _ := strconv.Atoi(resp.Header.Get("Retry-After")); s < 9 || s > 10 {
		t.Errorf("Retry-After %q, want 9 or 10 (s) for a 10 s window", resp.Header.Get("Retry-After"))
	}
}
