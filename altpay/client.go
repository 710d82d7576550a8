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

type client struct {
	base     *provider.Base
	src      *provider.Source
	initPath atomic.Pointer[string] // the checkout-auth/init path that worked
	*secrets
}

// secrets holds the credentials behind a pointer of its own (see Client).
type secrets struct {
	basicAuth string   // "Basic base64(id:secret)", built once
	keyParts  []string // base URL, client id and secret, the first parts of every cache key
}

// New returns a Client for a client id and secret (per host: demo and
// production credentials differ). It fails, without any network call, on an
// empty credential or a bad option (errors.Is(err, ErrInvalidRequest)).
func New(clientID, clientSecret string, opts ...Option) (*Client, error) {
	o, err := configure(opts, "clientID", clientID, "clientSecret", clientSecret)
	if err != nil {
		return nil, err
	}
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

// DefaultAccessTokenLifetime is the lifetime of an access token whose
// answer has no expires_in, as Alternative Payments' own SDKs assume.
const DefaultAccessTokenLifetime = time.Hour

// decodeCall decodes the answer of [Client.Call]: the partner API sends the
// result itself, without an envelope.
func (c *client) decodeCall(r *httpx.Response, out any) error { return c.base.DecodeBody(r, out) }

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
