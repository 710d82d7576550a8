package cartevotest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
)

// A request Close drops is dropped: the client gets no answer. The
// handler returned without writing, so the client got a 200 with an empty
// body, which no Cartevo answers.
func TestCloseDropsTheDelayedRequest(t *testing.T) {
	srv := cartevotest.NewServer()
	srv.SetDelay(time.Hour)
	type result struct {
		status int
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Post(srv.URL()+"/auth/token", "application/json", strings.NewReader(`{"client_id":"a","client_key":"b"}`))
		if err != nil {
			got <- result{err: err}
			return
		}
		resp.Body.Close()
		got <- result{status: resp.StatusCode}
	}()
	for srv.TokenRequestsStarted() == 0 {
		time.Sleep(time.Millisecond)
	}
	srv.Close()
	select {
	case r := <-got:
		if r.err == nil {
			t.Fatalf("the dropped request was answered %d", r.status)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no outcome 5 s after Close")
	}
}
