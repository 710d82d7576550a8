package httpx

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// ParseBaseURL checks a provider base URL: absolute, https (http only for a
// loopback host, for tests and fakes), with a host and without user info,
// query or fragment. The trailing slash is dropped. A bad one is a
// FieldError naming the option that sets it, WithBaseURL.
func ParseBaseURL(provider, raw string) (*url.URL, error) {
	bad := func(reason string) (*url.URL, error) {
		return nil, Invalid(provider, "WithBaseURL", reason)
	}
	if strings.TrimSpace(raw) == "" {
		return bad("must not be empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("not a URL")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return bad("scheme must be https")
	case u.Host == "" || u.Hostname() == "":
		return bad("missing host")
	case u.User != nil:
		return bad("must not carry user info")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return bad("must not carry a query or fragment")
	case u.Scheme == "http" && !IsLoopback(u.Hostname()):
		return bad("http is allowed only for loopback hosts; use https")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// IsLoopback reports whether host is localhost or a loopback IP.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckRedirectURL checks a URL that a provider returned for a browser to
// visit (a checkout or portal page): absolute, https (http only for a
// loopback host), with a host and no user info. A javascript: or data: URL
// from a misbehaving provider never reaches a Location header.
func CheckRedirectURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.Scheme != "https" && !(u.Scheme == "http" && IsLoopback(u.Hostname())):
		return errors.New("not an https URL")
	case u.Hostname() == "":
		return errors.New("no host")
	case u.User != nil:
		return errors.New("carries user info")
	}
	return nil
}
