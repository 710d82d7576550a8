// Package fakesrv starts the provider fakes' HTTP servers, on a fresh
// loopback port or on a listener the caller chose (cmd/checkoutkit serves the
// fakes on fixed ports, logging each request).
package fakesrv

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Server timeouts of every fake: a client that stalls sending its headers
// or body, or idles on a kept-alive connection, is cut off instead of
// holding a connection (and any local process freezing a test suite).
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 30 * time.Second
	IdleTimeout       = 60 * time.Second
)

// Start serves h on l, or on a fresh loopback port when l is nil, with the
// timeouts above. A listener made by [Logged] also logs each request.
func Start(h http.Handler, l net.Listener) *httptest.Server {
	if ll, ok := l.(*loggedListener); ok {
		h, l = ll.wrap(h), ll.Listener
	}
	srv := httptest.NewUnstartedServer(h)
	if l != nil {
		srv.Listener.Close()
		srv.Listener = l
	}
	srv.Config.ReadHeaderTimeout = ReadHeaderTimeout
	srv.Config.ReadTimeout = ReadTimeout
	srv.Config.IdleTimeout = IdleTimeout
	srv.Start()
	return srv
}

// Logged returns l such that the fake served on it writes one line per
// request to w: the name, method, path (never the query, never a header),
// status and duration.
func Logged(l net.Listener, name string, w io.Writer) net.Listener {
	return &loggedListener{Listener: l, name: name, w: w}
}

type loggedListener struct {
	net.Listener
	name string
	mu   sync.Mutex
	w    io.Writer
}

func (l *loggedListener) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		l.mu.Lock()
		defer l.mu.Unlock()
		fmt.Fprintf(l.w, "%-8s %s %s %d %s\n", l.name, r.Method, r.URL.Path, rec.status, time.Since(start).Round(time.Microsecond))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
