package httpx

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idleCounter is a caller's transport that counts CloseIdleConnections.
type idleCounter struct {
	http.RoundTripper
	closes atomic.Int32
}

func (t *idleCounter) CloseIdleConnections() { t.closes.Add(1) }

// A provider in trouble never costs the caller's other traffic its
// keep-alive connections: giving up on retries, or a context ending during
// a retry's wait, leaves the caller's transport alone (retryablehttp closes
// the idle connections of the client it is given on both).
func TestGivingUpLeavesTheCallersIdleConnectionsAlone(t *testing.T) {
	s := newServer(t, status(503, `{}`))
	tr := &idleCounter{RoundTripper: http.DefaultTransport}
	c := newClient(t, s.URL, func(cfg *Config) { cfg.HTTPClient = &http.Client{Transport: tr} })
	_, err := c.Send(bg, Request{Method: "POST", Path: "/x", Retry: true})
	require.Error(t, err)
	assert.EqualValues(t, DefaultMaxAttempts, s.hits.Load(), "retries ran out")

	slow := newClient(t, s.URL, func(cfg *Config) {
		cfg.HTTPClient = &http.Client{Transport: tr}
		cfg.MinWait, cfg.MaxWait = time.Hour, time.Hour
	})
	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	_, err = slow.Send(ctx, Request{Method: "POST", Path: "/x", Retry: true})
	require.ErrorIs(t, err, context.DeadlineExceeded)

	c.Close()
	slow.Close()
	assert.Zero(t, tr.closes.Load(), "the caller's transport kept its idle connections")
}

// A transport the Client made itself keeps its idle connections when a
// context ends during a retry's wait: the next call reuses the connection
// instead of opening another to a provider in trouble.
func TestGivingUpKeepsOwnIdleConnections(t *testing.T) {
	var conns atomic.Int32
	s := httptest.NewUnstartedServer(status(503, `{}`))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	c := newClient(t, s.URL, func(cfg *Config) { cfg.MinWait, cfg.MaxWait = time.Hour, time.Hour })
	for range 3 {
		ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
		_, err := c.Send(ctx, Request{Method: "POST", Path: "/x", Retry: true})
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
	assert.EqualValues(t, 1, conns.Load(), "one connection, reused")
}
