package cartevo

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/internal/provider"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

const (
	// DefaultBaseURL is Cartevo's production API root.
	DefaultBaseURL = "https://api.cartevo.co/api/v1"
	// SandboxBaseURL is Cartevo's preproduction API root. Tokens are bound
	// to one mode: a production key does not work here.
	SandboxBaseURL = "https://apisandbox.cartevo.co/api/v1"

	name      = "cartevo"
	tokenPath = "/auth/token"
)

// Client mints Cartevo access tokens and sends authenticated calls. It is
// safe for concurrent use. Printing a Client shows no credential.
type Client struct {
	c *client // behind a pointer so that %v of a Client shows no field
}

type client struct {
	base *provider.Base
	src  *provider.Source
	*secrets
}

// secrets sits behind a pointer of its own: fmt prints a struct holding a
// Client in an unexported field with a verb that does not fit a pointer
// (%s, %q, %d) by dereferencing the *client, which would show any field of
// client itself.
type secrets struct {
	tokenBody []byte // {"client_id", "client_key"}, encoded once
}

// New returns a Client for one Cartevo client id and client key. It fails,
// without any network call, on an empty credential or a bad option
// (errors.Is(err, ErrInvalidRequest)).
func New(clientID, clientKey string, opts ...Option) (*Client, error) {
	if err := provider.Require(name, "clientID", clientID); err != nil {
		return nil, err
	}
	if err := provider.Require(name, "clientKey", clientKey); err != nil {
		return nil, err
	}
	o := options{Settings: provider.Settings{BaseURL: DefaultBaseURL}}
	provider.Apply(&o, opts)
	s := o.Settings
	base, err := provider.Build(name, s, decodeError, clientKey)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(tokenRequest{ClientID: clientID, ClientKey: clientKey})
	if err != nil {
		return nil, err
	}
	c := &client{base: base, secrets: &secrets{tokenBody: body}}
	key := provider.Key(name, base.HTTP.BaseURL().String(), clientID, clientKey)
	c.src = base.Source(key, provider.Call{Method: http.MethodPost, Path: tokenPath}, c.mint, c.check)
	pub := &Client{c: c}
	provider.CloseWhenUnreachable(pub, base)
	return pub, nil
}

// AccessToken returns a valid access token, minting one only when the
// cache has none that is fresh. Concurrent callers share one mint.
func (c *Client) AccessToken(ctx context.Context) (tokencache.Token, error) {
	return c.c.src.Token(ctx)
}

// InvalidateToken drops tok from the cache if it is still the cached token,
// so that the next AccessToken mints anew. Call it when Cartevo rejects tok
// on a request you sent without Do; concurrent calls for one token cause
// one refresh.
func (c *Client) InvalidateToken(tok tokencache.Token) { c.c.src.Invalidate(tok) }

// Do sends req (an absolute URL on the client's base host) with
// "Authorization: Bearer <token>". On a 401 it invalidates that token,
// fetches a new one (shared by concurrent callers) and retries once,
// replaying the body; a second 401 is returned as is. At most one such
// refresh happens per token and per 10 s for the client (a token refused
// again soon after a refresh comes back as its 401, without a mint), so an
// endpoint that refuses every token cannot drive a mint storm. req must
// target the base URL's scheme and host, with an empty Host field or the
// URL's own: anything else is refused before a token is attached. Network
// errors and 5xx are retried for idempotent methods only, unless
// [WithRetryAllMethods]. The caller closes the response body.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	return c.c.base.HTTP.DoAuth(req, c.c.src, c.c.base.RetryAll)
}

// TokenSource returns the client's access token as a
// golang.org/x/oauth2 TokenSource (AccessToken, TokenType "Bearer", Expiry
// the token's real expiry). It shares the client's cache, so it mints no
// more often than AccessToken does. Safe for concurrent use.
//
// A TokenSource guards nothing about where its token goes:
// oauth2.NewClient(ctx, c.TokenSource()) attaches the token to every
// request that client sends, to any host, and to a redirect's next hop.
// For requests, use [Client.HTTPClient]; for code that must take an
// oauth2.Transport, [Client.OAuth2Transport], which refuses other hosts.
func (c *Client) TokenSource() oauth2.TokenSource { return c.c.src.OAuth2() }

// OAuth2Transport returns an http.RoundTripper for code that speaks
// golang.org/x/oauth2: an oauth2.Transport over next (nil:
// http.DefaultTransport) with the client's token, behind a guard that
// refuses, before a token is attached, any request for another scheme or
// host than the base URL's, or whose Host field names another host; so a
// redirect to another host fails instead of carrying the token there.
// Unlike [Client.HTTPClient] it does not refresh on a 401.
func (c *Client) OAuth2Transport(next http.RoundTripper) http.RoundTripper {
	return c.c.base.OAuth2Transport(c.c.src, next)
}

// HTTPClient returns an *http.Client for code that builds its own requests
// to Cartevo, such as a client generated from Cartevo's OpenAPI spec, and
// is the way this SDK recommends to send them: its transport adds
// "Authorization: Bearer <token>" to requests for the base URL's scheme and
// host and refuses any other request, and any whose Host field names
// another host (a token never goes elsewhere); on a 401 it drops exactly
// that token, mints once and retries once (at most one refresh per
// provider.RemintWindow, 10 s, for the client: a token refused again is
// returned as the 401). Redirects are errors, never followed.
func (c *Client) HTTPClient() *http.Client { return c.c.base.HTTPClient(c.c.src) }

// URL returns the absolute URL of an API path such as "/wallets", for
// building requests to pass to Do.
func (c *Client) URL(path string) string {
	return c.c.base.HTTP.URL(path, nil).String()
}

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

type tokenRequest struct {
	ClientID  string `json:"client_id"`
	ClientKey string `json:"client_key"`
}

// check vets an access token as every mint is vetted (provider.Base.Check):
// a Bearer token of bounded size, living no longer than the lifetime
// ceiling.
func (c *client) check(tok tokencache.Token) error {
	return c.base.Check(tok, "Bearer", 0)
}

// mint calls POST /auth/token. ExpiresAt is the cache's now plus
// expires_in, whatever Cartevo says it is (docs: 3600; servers: 86400).
func (c *client) mint(ctx context.Context) (tokencache.Token, error) {
	hc := c.base.HTTP
	resp, err := hc.Send(ctx, httpx.Request{
		Method: http.MethodPost, Path: tokenPath, Body: c.tokenBody, ContentType: "application/json",
		Retry: true, // minting twice is harmless
	})
	if err != nil {
		return tokencache.Token{}, err
	}
	return c.base.AccessToken(resp, c.base.Cache.Now(), 0)
}
