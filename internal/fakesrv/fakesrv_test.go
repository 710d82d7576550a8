package fakesrv

import (
	"net"
	"net/http"
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
