package cartevotest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
)

// Close must not wait out SetDelay for a request in flight: with a long
// delay and a client that never gives up, it blocked for the whole delay.
func TestCloseDoesNotWaitOutTheDelay(t *testing.T) {
	srv := cartevotest.NewServer()
	srv.SetDelay(time.Hour)
	go func() {
		resp, err := http.Post(srv.URL()+"/auth/token", "application/json", strings.NewReader(`{}`))
		if err == nil {
			resp.Body.Close()
		}
	}()
	for srv.TokenRequestsStarted() == 0 {
		time.Sleep(time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close still waiting for a delayed request after 5 s")
	}
}
