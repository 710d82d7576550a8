package appstle

import (
	"context"
	"fmt"
	"log/slog"
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
	base *provider.Base
	*secrets
}

// secrets sits behind a pointer of its own: fmt prints a struct holding a
// Client in an unexported field with a verb that does not fit a pointer
// (%s, %q, %d) by dereferencing the *client, which would show any string
// field of client itself.
type secrets struct {
	apiKey    string
	appKey    string // X-App-Key (partners), may be empty
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
	base, err := provider.Build(name, s, decodeError, apiKey, o.appKey)
	if err != nil {
		return nil, err
	}
	pub := &Client{c: &client{base: base, secrets: &secrets{
		apiKey:    apiKey,
		appKey:    o.appKey,
		keyPrefix: base.HTTP.BaseURL().String() + "\x00" + apiKey,
	}}}
	provider.CloseWhenUnreachable(pub, base)
	return pub, nil
}

// PortalToken returns a portal token for one customer, by Shopify
// customer id or by email (exactly one), reusing one minted for the same
// customer while it is fresh: a token handed out has at least five minutes
// left, unless Appstle is failing and an older one still works. The request
// is validated first and sends nothing if invalid. An e-mail Appstle does
// not know is an *APIError (400, Appstle's "invalidCustomer") that also
// matches ErrNotFound.
func (c *Client) PortalToken(ctx context.Context, r PortalTokenRequest) (*PortalToken, error) {
	scope, query, wantID, err := r.normalize()
	if err != nil {
		return nil, err
	}
	cc := c.c
	key := provider.Key(name, cc.keyPrefix, scope)
	tok, err := cc.base.Token(ctx, key, provider.Call{Method: http.MethodGet, Path: tokenPath}, func(ctx context.Context) (tokencache.Token, error) {
		return cc.mint(ctx, query, wantID)
	})
	if err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(tok.Extra[extraCustomerID], 10, 64)
	if err != nil || id <= 0 || httpx.CheckToken(tok.Value) != nil {
		cc.base.Cache.Invalidate(key, tok)
		return nil, fmt.Errorf("%s: %w: cached token is malformed; dropped it", name, ErrUnexpectedResponse)
	}
	return &PortalToken{
		CustomerID:    id,
		Token:         tok.Value,
		ExternalToken: tok.Extra[extraExternalToken],
		ExpiresAt:     tok.ExpiresAt,
		ExpiresIn:     tok.ExpiresAt.Sub(cc.base.Cache.Now()),
	}, nil
}

// CustomerPortalToken is [Client.PortalToken], under the name of the first
// release.
func (c *Client) CustomerPortalToken(ctx context.Context, r PortalTokenRequest) (*PortalToken, error) {
	return c.PortalToken(ctx, r)
}

// Extra keys of a cached portal token.
const (
	extraCustomerID    = "customer_id"
	extraExternalToken = "external_token"
)

type tokenResponse struct {
	CustomerID    *int64 `json:"customerId"`
	Token         string `json:"token"`
	ExternalToken string `json:"appstleExternalToken"`
}

// mint fetches a token. Its expiry: the JWT exp claim if present, else the
// timestamp claim + 2 h, else receipt + 2 h (claims read unverified: only
// Appstle holds the key), never more than 2 h after receipt. A token for
// another customer than the one asked for is refused.
func (c *client) mint(ctx context.Context, query url.Values, wantID int64) (tokencache.Token, error) {
	hc := c.base.HTTP
	resp, err := hc.Send(ctx, httpx.Request{
		Method: http.MethodGet, Path: tokenPath, Query: query,
		Header: c.header(),
		Retry:  true,
	})
	if err != nil {
		return tokencache.Token{}, err
	}
	return decodeToken(hc, resp, wantID, c.base.Cache.Now())
}

// decodeToken reads a portal-token answer received at now, for the
// customer asked for (wantID, or 0 for an e-mail lookup).
func decodeToken(hc *httpx.Client, resp *httpx.Response, wantID int64, now time.Time) (tokencache.Token, error) {
	var tr tokenResponse
	if err := hc.DecodeJSON(resp, &tr); err != nil {
		return tokencache.Token{}, err
	}
	if err := httpx.CheckToken(tr.Token); err != nil {
		return tokencache.Token{}, hc.Unexpected(resp, "token: %v", err)
	}
	switch {
	case tr.CustomerID == nil || *tr.CustomerID <= 0:
		return tokencache.Token{}, hc.Unexpected(resp, "no customerId")
	case wantID != 0 && *tr.CustomerID != wantID:
		return tokencache.Token{}, hc.Unexpected(resp, "token is for another customer")
	}
	exp, err := expiry(tr.Token, now)
	if err != nil {
		return tokencache.Token{}, hc.Unexpected(resp, "token %v", err)
	}
	extra := map[string]string{extraCustomerID: strconv.FormatInt(*tr.CustomerID, 10)}
	if tr.ExternalToken != "" {
		extra[extraExternalToken] = tr.ExternalToken
	}
	return tokencache.Token{Value: tr.Token, ExpiresAt: exp, Extra: extra}, nil
}

// expiry reads when an Appstle token expires from its claims: exp, else
// timestamp + 2 h, else (an opaque token) receipt + 2 h; never later than
// receipt + 2 h, and an exp in the past is an error.
func expiry(token string, now time.Time) (time.Time, error) {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return now.Add(TokenLifetime), nil // opaque token
	}
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil {
		t, err := provider.Deadline(exp.Time, now, TokenLifetime)
		if err != nil {
			return time.Time{}, fmt.Errorf("exp %v", err)
		}
		return t, nil
	}
	if ts, ok := claims["timestamp"].(float64); ok && ts > 0 && ts < 1e15 {
		issued := time.Unix(int64(ts), 0)
		if ts > 1e12 { // milliseconds
			issued = time.UnixMilli(int64(ts))
		}
		return minTime(issued.Add(TokenLifetime).In(now.Location()), now.Add(TokenLifetime)), nil
	}
	return now.Add(TokenLifetime), nil
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

// String describes the client without its key. Its receiver is a value,
// so a Client printed by value or by pointer, with any verb, shows no key.
func (c Client) String() string { return c.c.base.Describe() }

// GoString implements fmt.GoStringer so that %#v shows no key.
func (c Client) GoString() string { return c.String() }

// LogValue implements slog.LogValuer: the provider and base URL only.
func (c Client) LogValue() slog.Value { return c.c.base.LogValue() }
