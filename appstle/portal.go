package appstle

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// DefaultPortalPath is where Shopify stores serve Appstle's customer portal.
const DefaultPortalPath = "/tools/recurring/customer_portal"

// WithShopDomain names the Shopify store whose customer portal the client's
// tokens open, so that [Client.PortalToken] (and CustomerPortalToken)
// fill [PortalToken].PortalURL and [Client.PortalRedirectHandler] may be
// given an empty shopDomain. shopDomain is what [PortalURL] takes: a bare
// hostname such as "mystore.myshopify.com", or a loopback origin such as
// "http://127.0.0.1:7402" for a local fake. [New] refuses an empty or bad
// one with a FieldError naming WithShopDomain. Default: none (PortalURL
// stays empty).
func WithShopDomain(shopDomain string) Option {
	return func(o *options) { o.shopDomain = &shopDomain }
}

// checkShopOption vets WithShopDomain's value, naming the option.
func checkShopOption(shopDomain string) error {
	_, err := portalLink(shopDomain, DefaultPortalPath, "probe")
	return renamed(err, "WithShopDomain")
}

// PortalURL returns https://{shopDomain}/tools/recurring/customer_portal?token={token},
// the link to send a customer to. shopDomain must be a bare hostname such
// as "mystore.myshopify.com" (no scheme, port, path, query or user info),
// or, to reach a local fake, a loopback origin such as
// "http://127.0.0.1:7402" (plain http is refused for any other host).
// A client made with [WithShopDomain] returns this URL as
// [PortalToken].PortalURL.
func PortalURL(shopDomain, token string) (string, error) {
	return PortalURLWithPath(shopDomain, DefaultPortalPath, token)
}

// PortalURLWithPath is PortalURL for a shop that serves the portal on
// another path (which must start with "/" and carry no query or fragment).
func PortalURLWithPath(shopDomain, path, token string) (string, error) {
	return portalLink(shopDomain, path, token)
}

func portalLink(shopDomain, path, token string) (string, error) {
	scheme, host := "https", strings.ToLower(shopDomain)
	if origin, ok := strings.CutPrefix(shopDomain, "http://"); ok {
		h, port, err := net.SplitHostPort(origin)
		if err != nil || !httpx.IsLoopback(h) || !validPort(port) || strings.ContainsAny(origin, "/?#@\\") {
			return "", httpx.Invalid(name, "shopDomain", "plain http is allowed only for a loopback host and port, such as http://127.0.0.1:7402")
		}
		scheme, host = "http", origin
	} else if err := checkShop(shopDomain); err != nil {
		return "", err
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#\\ ") || strings.HasPrefix(path, "//") {
		return "", httpx.Invalid(name, "path", "must be an absolute path without query or fragment")
	}
	if token == "" {
		return "", httpx.Invalid(name, "token", "must not be empty")
	}
	if err := httpx.CheckToken(token); err != nil {
		return "", httpx.Invalid(name, "token", err.Error())
	}
	u := url.URL{Scheme: scheme, Host: host, Path: path, RawQuery: url.Values{"token": {token}}.Encode()}
	return u.String(), nil
}

// validPort accepts a decimal port number from 1 to 65535.
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == p
}

// checkShop accepts a DNS hostname with at least one dot: letters, digits,
// hyphens and dots only.
func checkShop(shop string) error {
	bad := func(reason string) error { return httpx.Invalid(name, "shopDomain", reason) }
	if shop == "" {
		return bad("must not be empty")
	}
	if len(shop) > 253 || !strings.Contains(shop, ".") {
		return bad("must be a hostname such as mystore.myshopify.com")
	}
	for _, label := range strings.Split(shop, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return bad("must be a hostname such as mystore.myshopify.com")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return bad("must be a bare hostname (no scheme, port, path, query or user info)")
			}
		}
	}
	return nil
}
