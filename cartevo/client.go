package cartevo

import (
	"context"
	"encoding/json"
	"net/http"

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

type client struct {
	base *provider.Base
	src  *provider.Source
	*secrets
}

// secrets holds the credentials behind a pointer of its own (see Client).
type secrets struct {
	tokenBody []byte // {"client_id", "client_key"}, encoded once
}

// New returns a Client for one Cartevo client id and client key. It fails,
// without any network call, on an empty credential or a bad option
// (errors.Is(err, ErrInvalidRequest)).
func New(clientID, clientKey string, opts ...Option) (*Client, error) {
	o, err := configure(opts, "clientID", clientID, "clientKey", clientKey)
	if err != nil {
		return nil, err
	}
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
