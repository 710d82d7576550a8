package cartevotest_test

import (
	"io"
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

// Several unknown fields are listed in one order every time (the body's
// order is lost in decoding; sorted, as a test comparing the whole array
// needs): map iteration made it random.
func TestUnknownFieldMessagesInAStableOrder(t *testing.T) {
	srv := cartevotest.NewServer()
	defer srv.Close()
	var first string
	for i := range 20 {
		resp, err := http.Post(srv.URL()+"/auth/token", "application/json",
			strings.NewReader(`{"client_id":"a","client_key":"b","zeta":1,"alpha":2,"mid":3,"beta":4}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if i == 0 {
			first = string(b)
			if !strings.Contains(first, `"property alpha should not exist","property beta should not exist","property mid should not exist","property zeta should not exist"`) {
				t.Fatalf("messages not sorted: %s", first)
			}
		} else if string(b) != first {
			t.Fatalf("answer %d differs:\n%s\n%s", i, first, b)
		}
	}
}
