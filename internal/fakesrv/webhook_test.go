package fakesrv

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHooksDeliverInOrderHoldAndClose(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Header.Get("X-Type")+":"+string(b))
		mu.Unlock()
		if r.Header.Get("X-Type") == "fail" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	msg := func(typ string) Message {
		return Message{URL: srv.URL, Type: typ, Header: http.Header{"X-Type": {typ}}, Body: []byte(typ)}
	}

	h := NewHooks(false)
	for _, batch := range [][]string{{"a", "b"}, {"c"}, {"d", "e"}} {
		var ms []Message
		for _, typ := range batch {
			ms = append(ms, msg(typ))
		}
		h.Fire(ms...)
	}
	ds, err := h.Wait(context.Background(), 5)
	require.NoError(t, err)
	var types []string
	for _, d := range ds {
		types = append(types, d.Type)
		assert.Equal(t, http.StatusOK, d.Status)
	}
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, types, "one ordered queue across batches")
	h.Close()
	h.Fire(msg("after-close"))
	assert.Len(t, h.Deliveries(), 5)

	held := NewHooks(true)
	defer held.Close()
	held.Fire(msg("x"), msg("fail"))
	assert.Equal(t, []string{"x", "fail"}, held.Pending())
	assert.Len(t, held.Deliveries(), 0)
	err = held.Flush(context.Background())
	require.Error(t, err, "the failed delivery is reported")
	assert.Contains(t, err.Error(), "fail")
	assert.Empty(t, held.Pending())

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = held.Wait(ctx, 10)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	d := NewHooks(false).Send(context.Background(), Message{URL: "http://127.0.0.1:1/", Type: "t"})
	assert.Zero(t, d.Status)
	assert.NotEmpty(t, d.Err)
}
