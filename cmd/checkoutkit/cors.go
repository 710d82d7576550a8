package main

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// cors lets the browser origins allowed accepts call h: a preflight from
// one is answered here (204 with the methods and headers it asks for), and
// every answer to one carries Access-Control-Allow-Origin. Requests from
// other origins pass through unchanged, so a browser refuses to read them.
func cors(h http.Handler, allowed func(origin string) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		w.Header().Add("Vary", "Origin")
		if origin == "" || !allowed(origin) {
			h.ServeHTTP(w, r)
			return
		}
		hdr := w.Header()
		hdr.Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			hdr.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			if want := r.Header.Get("Access-Control-Request-Headers"); want != "" {
				hdr.Set("Access-Control-Allow-Headers", want)
			}
			hdr.Set("Access-Control-Max-Age", "600")
			hdr.Add("Vary", "Access-Control-Request-Method")
			hdr.Add("Vary", "Access-Control-Request-Headers")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// loopbackOrigin reports whether origin is an http(s) page on this
// machine: localhost, 127.0.0.0/8 or [::1], on any port. It is what the
// fakes allow without -allow-origin.
func loopbackOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validOrigin reports whether v has an origin's form, scheme://host[:port].
func validOrigin(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.Path == "" && u.RawQuery == "" && u.User == nil && u.Fragment == "" && !strings.HasSuffix(v, "/")
}
