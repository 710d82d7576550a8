package altpay

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

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
	base      *provider.Base
	src       *tokencache.Source
	basicAuth string // "Basic base64(id:secret)", built once
	keyPrefix string
	retryAll  bool
	initPath  atomic.Pointer[string] // the checkout-auth/init path that worked
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
	c := &client{
		base:      base,
		basicAuth: "Basic " + basic,
		keyPrefix: base.HTTP.BaseURL().String() + "\x00" + clientID + "\x00" + clientSecret,
		retryAll:  s.RetryAll,
	}
	c.src = base.Cache.Source(provider.Key(name, c.keyPrefix, "access"), c.mintAccess)
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
// replaying the body; a second 401 is returned as is. Network errors and
// 5xx are retried for idempotent methods only, unless [WithRetryAllMethods].
// The caller closes the response body.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	return c.c.base.HTTP.DoBearer(req, c.c.src, c.c.retryAll)
}

// Close releases the client's own cache (not one given with WithCache) and
// its background goroutines. A client dropped without Close releases them
// when it is garbage-collected.
func (c *Client) Close() error { return c.c.base.Close() }

// String describes the client without its credentials.
func (c *Client) String() string {
	return "altpay.Client{baseURL: " + c.c.base.HTTP.BaseURL().String() + "}"
}

// GoString implements fmt.GoStringer so that %#v shows no credential.
func (c *Client) GoString() string { return c.String() }

// mintAccess runs the client-credentials exchange. It is written on httpx
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
	})
	if err != nil {
		return tokencache.Token{}, err
	}
	now := c.base.Cache.Now()
	var v struct {
		AccessToken string   `json:"access_token"`
		TokenType   string   `json:"token_type"`
		ExpiresIn   *float64 `json:"expires_in"`
	}
	if err := hc.DecodeJSON(resp, &v); err != nil {
		return tokencache.Token{}, err
	}
	switch {
	case v.AccessToken == "":
		return tokencache.Token{}, hc.Unexpected(resp, "no access_token")
	case v.ExpiresIn == nil || *v.ExpiresIn <= 0 || *v.ExpiresIn > 366*24*3600:
		return tokencache.Token{}, hc.Unexpected(resp, "expires_in missing or out of range")
	}
	return tokencache.Token{
		Value:     v.AccessToken,
		Type:      "Bearer",
		ExpiresAt: now.Add(time.Duration(*v.ExpiresIn * float64(time.Second))),
	}, nil
}
