package fakesrv

import (
	"bytes"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStartSetsTimeouts: the CLI's fakes (on a Logged listener) and the
// test fakes both cut off stalled clients (issue 20, item 12).
func TestStartSetsTimeouts(t *testing.T) {
	for _, listener := range []net.Listener{nil, Logged(mustListen(t), "y", &nopWriter{})} {
		srv := Start(http.NotFoundHandler(), listener)
		assert.Equal(t, ReadHeaderTimeout, srv.Config.ReadHeaderTimeout)
		assert.Equal(t, ReadTimeout, srv.Config.ReadTimeout)
		assert.Equal(t, IdleTimeout, srv.Config.IdleTimeout)
		assert.LessOrEqual(t, srv.Config.ReadHeaderTimeout, 10*time.Second)
		srv.Close()
	}
}

func mustListen(t *testing.T) net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return l
}

type nopWriter struct{}

func (*nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// A fake on every interface names a loopback URL, the one a client on this
// machine can use and the SDK accepts (http://[::]:PORT is refused).
func TestStartOnEveryInterfaceNamesLoopback(t *testing.T) {
	for _, tc := range []struct{ network, addr, prefix string }{
		{"tcp4", "0.0.0.0:0", "http://127.0.0.1:"},
		{"tcp", "[::]:0", "http://[::1]:"},
		{"tcp4", "127.0.0.1:0", "http://127.0.0.1:"},
	} {
		l, err := net.Listen(tc.network, tc.addr)
		if err != nil {
			t.Logf("%s %s: %v", tc.network, tc.addr, err) // no IPv6 here
			continue
		}
		srv := Start(http.NotFoundHandler(), l)
		assert.True(t, strings.HasPrefix(srv.URL, tc.prefix), "%s: %s", tc.addr, srv.URL)
		resp, err := http.Get(srv.URL + "/x")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		srv.Close()
	}
	http.DefaultClient.CloseIdleConnections()
}

// Wrap's middleware sees every request, and a Logged listener inside it
// logs what the middleware answered.
func TestWrapAroundLogged(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var log bytes.Buffer
	mw := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	srv := Start(http.NotFoundHandler(), Wrap(Logged(l, "fake", &log), mw))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/p", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	srv.Close()
	assert.Contains(t, log.String(), "fake     OPTIONS /p 204")
	http.DefaultClient.CloseIdleConnections()
}

// The request log keeps a path percent-encoded: a request cannot write
// terminal controls into the log of checkoutkit fakes.
func TestLoggedPathStaysEncoded(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var log bytes.Buffer
	srv := Start(http.NotFoundHandler(), Logged(l, "fake", &log))
	resp, err := http.Get(srv.URL + "/a%1b%5b2J%e2%80%ae%0d")
	require.NoError(t, err)
	resp.Body.Close()
	srv.Close()
	http.DefaultClient.CloseIdleConnections()
	assert.Contains(t, log.String(), "fake     GET /a%1b%5b2J%e2%80%ae%0d 404")
	for _, raw := range []string{"\x1b", "\u202e", "\r"} {
		assert.NotContains(t, log.String(), raw)
	}
}
