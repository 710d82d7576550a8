package appstle

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/internal/provider"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// DefaultBaseURL is Appstle Subscriptions' API host.
const DefaultBaseURL = "https://subscription-admin.appstle.com"

// TokenLifetime is how long Appstle portal tokens live after they are
// issued.
const TokenLifetime = 2 * time.Hour

const (
	name       = "appstle"
	tokenPath  = "/api/external/v2/customer-portal-token"
	managePath = "/api/external/v2/manage-subscription-link/"
	magicPath  = "/api/external/v2/subscription-contracts-email-magic-link"
)

// Client mints Appstle customer-portal tokens for one store's API key. It is
// safe for concurrent use. Printing a Client shows no key.
type Client struct {
	c *client // behind a pointer so that %v of a Client shows no field
}

type client struct {
	base      *provider.Base
	apiKey    string
	keyPrefix string
}

// New returns a Client for a store's API key (new keys start apst_). It
// fails, without any network call, on an empty key or a bad option
// (errors.Is(err, ErrInvalidRequest)).
func New(apiKey string, opts ...Option) (*Client, error) {
	if err := provider.Require(name, "apiKey", apiKey); err != nil {
		return nil, err
	}
	o := options{Settings: provider.Settings{BaseURL: DefaultBaseURL}}
	provider.Apply(&o, opts)
	s := o.Settings
	base, err := provider.Build(name, s, decodeError, apiKey)
	if err != nil {
		return nil, err
	}
	pub := &Client{c: &client{
		base:      base,
		apiKey:    apiKey,
		keyPrefix: base.HTTP.BaseURL().String() + "\x00" + apiKey,
	}}
	provider.CloseWhenUnreachable(pub, base)
	return pub, nil
}

// CustomerPortalToken returns a portal token for one customer, by Shopify
// customer id or by email (exactly one), reusing one minted for the same
// customer while it is fresh: a token handed out has at least five
// minutes left, unless Appstle is failing and an older one still works. The request is validated first and sends
// nothing if invalid.
func (c *Client) CustomerPortalToken(ctx context.Context, r PortalTokenRequest) (*PortalToken, error) {
	scope, query, wantID, err := r.normalize()
	if err != nil {
		return nil, err
	}
	cc := c.c
	key := provider.Key(name, cc.keyPrefix, scope)
	tok, err := cc.base.Cache.GetFresh(ctx, key, func(ctx context.Context) (tokencache.Token, error) {
		return cc.mint(ctx, query, wantID)
	})
	if err != nil {
		return nil, err
	}
	parts, err := provider.Unpack(cc.base.Cache, key, tok, 3)
	if err != nil {
		return nil, err
	}
	id, _ := strconv.ParseInt(parts[0], 10, 64)
	return &PortalToken{CustomerID: id, Token: parts[1], ExternalToken: parts[2], ExpiresAt: tok.ExpiresAt}, nil
}

type tokenResponse struct {
	CustomerID    *int64 `json:"customerId"`
	Token         string `json:"token"`
	ExternalToken string `json:"appstleExternalToken"`
}

// mint fetches a token. Its expiry: the JWT exp claim if present, else the
// timestamp claim + 2 h, else receipt + 2 h (claims read unverified: only
// Appstle holds the key). A token for another customer than the one asked
// for is refused.
func (c *client) mint(ctx context.Context, query url.Values, wantID int64) (tokencache.Token, error) {
	hc := c.base.HTTP
	resp, err := hc.Send(ctx, httpx.Request{
		Method: http.MethodGet, Path: tokenPath, Query: query,
		Header: http.Header{"X-Api-Key": {c.apiKey}},
	})
	if err != nil {
		return tokencache.Token{}, err
	}
	now := c.base.Cache.Now()
	var tr tokenResponse
	if err := hc.DecodeJSON(resp, &tr); err != nil {
		return tokencache.Token{}, err
	}
	switch {
	case tr.Token == "":
		return tokencache.Token{}, hc.Unexpected(resp, "no token")
	case tr.CustomerID == nil || *tr.CustomerID <= 0:
		return tokencache.Token{}, hc.Unexpected(resp, "no customerId")
	case wantID != 0 && *tr.CustomerID != wantID:
		return tokencache.Token{}, hc.Unexpected(resp, "token is for another customer")
	}
	return tokencache.Token{
		Value:     provider.Pack(strconv.FormatInt(*tr.CustomerID, 10), tr.Token, tr.ExternalToken),
		ExpiresAt: expiry(tr.Token, now),
	}, nil
}

// expiry reads when an Appstle token expires from its claims, never later
// than receipt + 2 h when only the issue time is known.
func expiry(token string, now time.Time) time.Time {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return now.Add(TokenLifetime) // opaque token
	}
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil {
		return exp.Time.In(now.Location())
	}
	if ts, ok := claims["timestamp"].(float64); ok && ts > 0 {
		issued := time.Unix(int64(ts), 0)
		if ts > 1e12 { // milliseconds
			issued = time.UnixMilli(int64(ts))
		}
		return minTime(issued.Add(TokenLifetime).In(now.Location()), now.Add(TokenLifetime))
	}
	return now.Add(TokenLifetime)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Close releases the client's own cache (not one given with WithCache) and
// its background goroutines. A client dropped without Close releases them
// when it is garbage-collected.
func (c *Client) Close() error { return c.c.base.Close() }

// String describes the client without its key.
func (c *Client) String() string {
	return "appstle.Client{baseURL: " + c.c.base.HTTP.BaseURL().String() + "}"
}

// GoString implements fmt.GoStringer so that %#v shows no key.
func (c *Client) GoString() string { return c.String() }
