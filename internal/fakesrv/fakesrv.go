// Package fakesrv starts the provider fakes' HTTP servers, on a fresh
// loopback port or on a listener the caller chose (cmd/checkoutkit serves the
// fakes on fixed ports).
package fakesrv

import (
	"net"
	"net/http"
	"net/http/httptest"
)

// Start serves h on l, or on a fresh loopback port when l is nil.
func Start(h http.Handler, l net.Listener) *httptest.Server {
	if l == nil {
		return httptest.NewServer(h)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	return srv
}
