package altpay

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/internal/provider"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

const (
	// DefaultBaseURL is the production partner API.
	DefaultBaseURL = "https://public-api.alternativepayments.io"
	// DemoBaseURL is the demo environment; its credentials are separate.
	DemoBaseURL = "https://public-api.demo.alternativepayments.io"

	name      = "altpay"
	tokenPath = "/oauth/token"
)

// Client holds one partner's client credentials. It is safe for concurrent
// use. Printing a Client shows no credential.
type Client struct {
	c *client // behind a pointer so that %v of a Client shows no field
}

type client struct {
	base     *provider.Base
	src      *provider.Source
	initPath atomic.Pointer[string] // the checkout-auth/init path that worked
	*secrets
}

// secrets sits behind a pointer of its own: fmt prints a struct holding a
// Client in an unexported field with a verb that does not fit a pointer
// (%s, %q, %d) by dereferencing the *client, which would show any string
// field of client itself.
type secrets struct {
	basicAuth string   // "Basic base64(id:secret)", built once
	keyParts  []string // base URL, client id and secret, the first parts of every cache key
}

// New returns a Client for a client id and secret (per host: demo and
// production credentials differ). It fails, without any network call, on an
// empty credential or a bad option (errors.Is(err, ErrInvalidRequest)).
func New(clientID, clientSecret string, opts ...Option) (*Client, error) {
	if err := provider.Require(name, "clientID", clientID); err != nil {
		return nil, err
	}
	if err := provider.Require(name, "clientSecret", clientSecret); err != nil {
		return nil, err
	}
	o := options{Settings: provider.Settings{BaseURL: DefaultBaseURL}}
	provider.Apply(&o, opts)
	s := o.Settings
	basic := base64.StdEncoding.EncodeToString([]byte(clientID + ":" + clientSecret))
	base, err := provider.Build(name, s, decodeError, clientSecret, basic)
	if err != nil {
		return nil, err
	}
	c := &client{base: base, secrets: &secrets{
		basicAuth: "Basic " + basic,
		keyParts:  []string{base.HTTP.BaseURL().String(), clientID, clientSecret},
	}}
	c.src = base.Source(c.key("access"), provider.Call{Method: http.MethodPost, Path: tokenPath}, c.mintAccess, c.checkAccess)
	pub := &Client{c: c}
	provider.CloseWhenUnreachable(pub, base)
	return pub, nil
}

// AccessToken returns a partner-API access token (OAuth2 client
// credentials), minting one only when the cached one is no longer fresh.
// Bad credentials (403 "Invalid credentials", or 401) match ErrUnauthorized
// and are not retried.
func (c *Client) AccessToken(ctx context.Context) (tokencache.Token, error) {
	return c.c.src.Token(ctx)
}

// InvalidateToken drops tok from the cache if it is still the cached access
// token, so that the next call mints anew.
func (c *Client) InvalidateToken(tok tokencache.Token) { c.c.src.Invalidate(tok) }

// Do sends req (an absolute URL on the client's base host) with
// "Authorization: Bearer <access token>". On a 401 it invalidates that
// token, fetches a new one (shared by concurrent callers) and retries once,
// replaying the body; a second 401 is returned as is. At most one such
// refresh happens per token and per 10 s for the client (a token refused
// again soon after a refresh comes back as its 401, without a mint). req
// must target the base URL's scheme and host, with an empty Host field or
// the URL's own: anything else is refused before a token is attached.
// Network errors and 5xx are retried for idempotent methods only, unless
// [WithRetryAllMethods]. The caller closes the response body.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	return c.c.base.HTTP.DoAuth(req, c.c.src, c.c.base.RetryAll)
}

// TokenSource returns the partner-API access token as a golang.org/x/oauth2
// TokenSource (AccessToken, TokenType "Bearer", Expiry the token's real
// expiry). It shares the client's cache, so it mints no more often than
// AccessToken does. Safe for concurrent use.
//
// A TokenSource guards nothing about where its token goes:
// oauth2.NewClient(ctx, c.TokenSource()) attaches the token to every
// request that client sends, to any host, and to a redirect's next hop.
// For requests, use [Client.HTTPClient]; for code that must take an
// oauth2.Transport, [Client.OAuth2Transport], which refuses other hosts.
func (c *Client) TokenSource() oauth2.TokenSource { return c.c.src.OAuth2() }

// OAuth2Transport returns an http.RoundTripper for code that speaks
// golang.org/x/oauth2: an oauth2.Transport over next (nil:
// http.DefaultTransport) with the access token, behind a guard that
// refuses, before a token is attached, any request for another scheme or
// host than the base URL's, or whose Host field names another host; so a
// redirect to another host fails instead of carrying the token there.
// Unlike [Client.HTTPClient] it does not refresh on a 401.
func (c *Client) OAuth2Transport(next http.RoundTripper) http.RoundTripper {
	return c.c.base.OAuth2Transport(c.c.src, next)
}

// HTTPClient returns an *http.Client for code that builds its own requests
// to the partner API, such as a client generated from its OpenAPI spec, and
// is the way this SDK recommends to send them: its transport adds
// "Authorization: Bearer <access token>" to requests for the base URL's
// scheme and host and refuses any other request, and any whose Host field
// names another host (a token never goes elsewhere); on a 401 it drops
// exactly that token, mints once and retries once (at most one refresh per
// provider.RemintWindow, 10 s, for the client: a token refused again is
// returned as the 401). Redirects are errors, never followed.
func (c *Client) HTTPClient() *http.Client { return c.c.base.HTTPClient(c.c.src) }

// Close releases the client's own cache (not one given with WithCache) and
// its background goroutines. A client dropped without Close releases them
// when it is garbage-collected.
func (c *Client) Close() error { return c.c.base.Close() }

// String describes the client without its credentials. Its receiver is a
// value, so a Client printed by value or by pointer, with any verb, shows
// no credential.
func (c Client) String() string { return c.c.base.Describe() }

// GoString implements fmt.GoStringer so that %#v shows no credential.
func (c Client) GoString() string { return c.String() }

// LogValue implements slog.LogValuer: the provider and base URL only.
func (c Client) LogValue() slog.Value { return c.c.base.LogValue() }

// DefaultAccessTokenLifetime is the lifetime of an access token whose
// answer has no expires_in, as Alternative Payments' own SDKs assume.
const DefaultAccessTokenLifetime = time.Hour

// key returns the cache key of scope, under the client's base URL and
// credentials.
func (c *client) key(scope ...string) string {
	return provider.Key(name, append(c.keyParts[:len(c.keyParts):len(c.keyParts)], scope...)...)
}

// checkAccess vets an access token as every mint is vetted
// (provider.Base.Check): a Bearer token of bounded size, living no longer
// than the lifetime ceiling.
func (c *client) checkAccess(tok tokencache.Token) error {
	return c.base.Check(tok, "Bearer", 0)
}

// mintAccess runs the client-credentials exchange. An answer without
// expires_in lives DefaultAccessTokenLifetime; a token_type other than
// Bearer (any case) is refused. It is written on httpx
// rather than x/oauth2/clientcredentials, which form-encodes the id and
// secret inside the Basic header (Alternative Payments documents plain
// base64(id:secret)), quotes the raw body in its errors and dates expiry by
// time.Now instead of the cache's clock.
func (c *client) mintAccess(ctx context.Context) (tokencache.Token, error) {
	hc := c.base.HTTP
	resp, err := hc.Send(ctx, httpx.Request{
		Method: http.MethodPost, Path: tokenPath,
		Header:      http.Header{"Authorization": {c.basicAuth}},
		Body:        []byte(url.Values{"grant_type": {"client_credentials"}}.Encode()),
		ContentType: "application/x-www-form-urlencoded",
		Retry:       true, // minting twice is harmless
	})
	if err != nil {
		return tokencache.Token{}, err
	}
	return c.base.AccessToken(resp, c.base.Cache.Now(), DefaultAccessTokenLifetime)
}
