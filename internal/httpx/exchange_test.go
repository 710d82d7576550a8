package httpx

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cannedTransport answers every request with a small JSON 200 without any
// network, so that allocation counts measure the client side only.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		StatusCode:    200,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(`{"access_token":"abcd","expires_in":60}`)),
		ContentLength: -1,
		Request:       req,
	}, nil
}

// sendOverhead is what one Send allocates beyond the same request sent by
// hand with net/http over the same transport: the SDK's own share.
func sendOverhead(t *testing.T) float64 {
	t.Helper()
	hc := &http.Client{Transport: cannedTransport{}}
	c := newClient(t, "http://127.0.0.1", func(cfg *Config) { cfg.HTTPClient = hc })
	body := []byte(`{"client_id":"id","client_key":"key"}`)
	url := "http://127.0.0.1/api/v1/auth/token"
	bare := testing.AllocsPerRun(200, func() {
		req, _ := http.NewRequestWithContext(bg, http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	})
	sdk := testing.AllocsPerRun(200, func() {
		if _, err := c.Send(bg, Request{Method: http.MethodPost, Path: "/auth/token", Body: body, ContentType: "application/json", Retry: true}); err != nil {
			t.Fatal(err)
		}
	})
	return sdk - bare
}

// A Send builds its request once, for net/http and the retry layer alike:
// what it allocates beyond a hand-written net/http call of the same request
// (its URL joined to the base, three headers, the retry policy's context,
// the body rewound per attempt, the Response) stays within a small budget.
// Building a second request for retryablehttp (URL printed and parsed
// again, Header cloned, the body measured by one extra copy) cost 10 more.
const sendAllocBudget = 10

func TestSendAllocatesLittleBeyondNetHTTP(t *testing.T) {
	over := sendOverhead(t)
	t.Logf("Send allocates %.0f more than net/http by hand", over)
	if over > sendAllocBudget {
		t.Errorf("Send allocates %.0f more than net/http by hand, budget %d", over, sendAllocBudget)
	}
}

// keepingTransport answers 401 to the first request and 200 after,
// keeping every request it was given.
type keepingTransport struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (rt *keepingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.reqs = append(rt.reqs, req)
	n := len(rt.reqs)
	rt.mu.Unlock()
	resp, _ := cannedTransport{}.RoundTrip(req)
	if n == 1 {
		resp.StatusCode = http.StatusUnauthorized
	}
	return resp, nil
}

// The retry after a 401 goes out as a request of its own: the first one,
// which the transport may still hold, keeps the token it was sent with.
// exchange writes the User-Agent and token into the request it is given
// rather than into a copy, so a second send writing into the same Header
// would change what the first request says after the fact.
func TestRetryAfter401IsARequestOfItsOwn(t *testing.T) {
	rt := &keepingTransport{}
	c := newClient(t, "http://127.0.0.1", func(cfg *Config) { cfg.HTTPClient = &http.Client{Transport: rt} })
	auth := &rotatingAuth{}
	_, err := c.Send(bg, Request{Method: http.MethodPost, Path: "/wallets", Body: []byte(`{"a":1}`), Auth: auth})
	require.NoError(t, err)
	require.Len(t, rt.reqs, 2)
	assert.NotSame(t, rt.reqs[0], rt.reqs[1])
	assert.Equal(t, "Bearer tok-1", rt.reqs[0].Header.Get("Authorization"))
	assert.Equal(t, "Bearer tok-2", rt.reqs[1].Header.Get("Authorization"))
	for _, r := range rt.reqs {
		assert.Equal(t, UserAgent, r.Header.Get("User-Agent"))
		assert.EqualValues(t, len(`{"a":1}`), r.ContentLength)
	}
}

// rotatingAuth hands out tok-1, then after a rejection tok-2, and so on.
type rotatingAuth struct{ n atomic.Int32 }

func (a *rotatingAuth) BearerToken(context.Context) (string, error) {
	return "tok-" + strconv.Itoa(int(a.n.Load())+1), nil
}
func (a *rotatingAuth) Reject(string) bool { a.n.Add(1); return true }

// Send's body goes out with its Content-Length, not chunked, on the first
// try and on each retry: the bytes are given to the retry layer as they
// are, and it rewinds them per attempt.
func TestSendBodyKeepsItsContentLength(t *testing.T) {
	s, lengths := lengthServer(t, 503)
	c := newClient(t, s.URL)
	_, err := c.Send(bg, Request{Method: http.MethodPost, Path: "/x", Body: []byte("four"), Retry: true})
	require.NoError(t, err)
	assert.Equal(t, []int64{4, 4}, *lengths)
	assert.Equal(t, []string{"four", "four"}, s.bodies)
}

// lengthServer answers first to the first request and 200 to the next,
// recording the Content-Length of each.
func lengthServer(t *testing.T, first int) (*server, *[]int64) {
	t.Helper()
	var lengths []int64
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		lengths = append(lengths, r.ContentLength)
		w.WriteHeader(first)
	}, func(w http.ResponseWriter, r *http.Request) {
		lengths = append(lengths, r.ContentLength)
	})
	return s, &lengths
}
