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
	"strconv"
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
//
// On a listener bound to every interface (0.0.0.0 or ::) the server's URL
// names the loopback address instead (127.0.0.1 or [::1]): an address a
// client on this machine can use, and the only plain-http one the SDK
// accepts.
func Start(h http.Handler, l net.Listener) *httptest.Server {
	for unwrapped := false; !unwrapped; {
		switch ll := l.(type) {
		case *loggedListener:
			h, l = ll.wrap(h), ll.Listener
		case *wrappedListener:
			h, l = ll.mw(h), ll.Listener
		default:
			unwrapped = true
		}
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
	if a, ok := srv.Listener.Addr().(*net.TCPAddr); ok && a.IP.IsUnspecified() {
		loopback := "127.0.0.1"
		if a.IP.To4() == nil {
			loopback = "::1"
		}
		srv.URL = "http://" + net.JoinHostPort(loopback, strconv.Itoa(a.Port))
	}
	return srv
}

// Wrap returns l such that the fake served on it passes every request
// through mw (cmd/checkoutkit adds CORS this way). Wrap a [Logged] listener
// to log what mw answers too.
func Wrap(l net.Listener, mw func(http.Handler) http.Handler) net.Listener {
	return &wrappedListener{Listener: l, mw: mw}
}

type wrappedListener struct {
	net.Listener
	mw func(http.Handler) http.Handler
}

// Logged returns l such that the fake served on it writes one line per
// request to w: the name, method, path as sent, percent-encoded (a
// decoded path could steer the terminal; never the query, never a header),
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
		fmt.Fprintf(l.w, "%-8s %s %s %d %s\n", l.name, r.Method, r.URL.EscapedPath(), rec.status, time.Since(start).Round(time.Microsecond))
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
