package crovver

import (
	"context"
	"net/http"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/internal/provider"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// DefaultBaseURL is the host every Crovver SDK defaults to.
const DefaultBaseURL = "https://app.crovver.com"

const (
	name         = "crovver"
	checkoutPath = "/api/public/auth/checkout-token"
	portalPath   = "/api/public/auth/portal-token"
)

// Client mints Crovver checkout and portal tokens. It is safe for concurrent
// use. Printing a Client shows no key.
type Client struct {
	c *client // behind a pointer so that %v of a Client shows no field
}

type client struct {
	base      *provider.Base
	publicKey string
	keyPrefix string // base URL and public key, for cache keys
	noReuse   bool
}

// New returns a Client for an organisation's public key (pk_live_… or
// pk_test_…; test mode follows the key). The key identifies the
// organisation; checkoutkit treats it as a credential and never logs or
// prints it. New fails, without any network call, on an empty key or a bad
// option (errors.Is(err, ErrInvalidRequest)).
func New(publicKey string, opts ...Option) (*Client, error) {
	if err := provider.Require(name, "publicKey", publicKey); err != nil {
		return nil, err
	}
	o := options{Settings: provider.Settings{BaseURL: DefaultBaseURL}}
	provider.Apply(&o, opts)
	base, err := provider.Build(name, o.Settings, decodeError, publicKey)
	if err != nil {
		return nil, err
	}
	pub := &Client{c: &client{
		base:      base,
		publicKey: publicKey,
		keyPrefix: base.HTTP.BaseURL().String() + "\x00" + publicKey,
		noReuse:   o.noReuse,
	}}
	provider.CloseWhenUnreachable(pub, base)
	return pub, nil
}

// CheckoutToken mints (or reuses, while fresh) a checkout token for a
// tenant, with the checkout URL to send the user to. The request is
// validated first; an invalid one sends nothing and returns an error naming
// the field (errors.Is(err, ErrInvalidRequest)). Crovver's error codes come
// back as an [APIError] (TENANT_NOT_FOUND also matches ErrTenantNotFound).
func (c *Client) CheckoutToken(ctx context.Context, r CheckoutTokenRequest) (*CheckoutToken, error) {
	body, err := r.encode()
	if err != nil {
		return nil, err
	}
	t, err := c.c.token(ctx, checkoutPath, body)
	if err != nil {
		return nil, err
	}
	return &CheckoutToken{Token: t.token, ExpiresAt: t.expiresAt, CheckoutURL: t.url, ExpiresIn: t.expiresIn}, nil
}

// PortalToken mints (or reuses, while fresh) a billing-portal token for a
// tenant that has checked out before, with the portal URL. A tenant that
// never checked out is ErrTenantNotFound.
func (c *Client) PortalToken(ctx context.Context, r PortalTokenRequest) (*PortalToken, error) {
	body, err := r.encode()
	if err != nil {
		return nil, err
	}
	t, err := c.c.token(ctx, portalPath, body)
	if err != nil {
		return nil, err
	}
	return &PortalToken{Token: t.token, ExpiresAt: t.expiresAt, PortalURL: t.url, ExpiresIn: t.expiresIn}, nil
}

// Close releases the client's own cache (not one given with WithCache) and
// its background goroutines. A client dropped without Close releases them
// when it is garbage-collected.
func (c *Client) Close() error { return c.c.base.Close() }

// String describes the client without its key.
func (c *Client) String() string {
	return "crovver.Client{baseURL: " + c.c.base.HTTP.BaseURL().String() + "}"
}

// GoString implements fmt.GoStringer so that %#v shows no key.
func (c *Client) GoString() string { return c.String() }

// issued is a token as the client hands it out.
type issued struct {
	token, url string
	expiresAt  time.Time
	expiresIn  time.Duration
}

// token returns a token for body at path, from the cache unless reuse is
// off. The cached Value packs the token with its URL.
func (c *client) token(ctx context.Context, path string, body []byte) (issued, error) {
	fetch := func(ctx context.Context) (tokencache.Token, error) { return c.mint(ctx, path, body) }
	var tok tokencache.Token
	var err error
	key := provider.Key(name, c.keyPrefix, path, string(body))
	if c.noReuse {
		tok, err = fetch(ctx)
	} else {
		tok, err = c.base.Cache.GetFresh(ctx, key, fetch)
	}
	if err != nil {
		return issued{}, err
	}
	parts, err := provider.Unpack(c.base.Cache, key, tok, 2)
	if err != nil {
		return issued{}, err
	}
	return issued{
		token:     parts[0],
		url:       parts[1],
		expiresAt: tok.ExpiresAt,
		expiresIn: tok.ExpiresAt.Sub(c.base.Cache.Now()),
	}, nil
}

type tokenResponse struct {
	Success *bool `json:"success"`
	Data    *struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expiresAt"`
	} `json:"data"`
	Meta *struct {
		CheckoutURL string   `json:"checkoutUrl"`
		PortalURL   string   `json:"portalUrl"`
		ExpiresIn   *float64 `json:"expiresIn"`
	} `json:"meta"`
	Error *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// mint posts body to path. Any 2xx with "success": true is a success; a 2xx
// with "success": false is an APIError with the status its code implies.
// The lifetime is receipt time + meta.expiresIn; data.expiresAt is used
// only when expiresIn is missing (Crovver's own example has an expiresAt in
// the past).
func (c *client) mint(ctx context.Context, path string, body []byte) (tokencache.Token, error) {
	hc := c.base.HTTP
	resp, err := hc.Send(ctx, httpx.Request{
		Method: http.MethodPost, Path: path, Body: body, ContentType: "application/json",
		Header: http.Header{"X-Public-Key": {c.publicKey}},
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
	case tr.Success == nil:
		return tokencache.Token{}, hc.Unexpected(resp, "no success field")
	case !*tr.Success:
		status := http.StatusBadRequest
		if tr.Error != nil {
			if m, ok := codes[tr.Error.Code]; ok {
				status = m.status
			}
		}
		return tokencache.Token{}, hc.ErrorFor(resp, status)
	}
	if tr.Data == nil || tr.Data.Token == "" {
		return tokencache.Token{}, hc.Unexpected(resp, "no data.token")
	}
	var expiresAt time.Time
	switch {
	case tr.Meta != nil && tr.Meta.ExpiresIn != nil:
		if *tr.Meta.ExpiresIn <= 0 || *tr.Meta.ExpiresIn > 7*24*3600 {
			return tokencache.Token{}, hc.Unexpected(resp, "meta.expiresIn %v out of range", *tr.Meta.ExpiresIn)
		}
		expiresAt = now.Add(time.Duration(*tr.Meta.ExpiresIn * float64(time.Second)))
	case tr.Data.ExpiresAt != "":
		t, err := time.Parse(time.RFC3339, tr.Data.ExpiresAt)
		if err != nil {
			return tokencache.Token{}, hc.Unexpected(resp, "data.expiresAt is not RFC 3339")
		}
		if !t.After(now) {
			return tokencache.Token{}, hc.Unexpected(resp, "data.expiresAt is in the past and meta.expiresIn is missing")
		}
		expiresAt = t
	default:
		return tokencache.Token{}, hc.Unexpected(resp, "no meta.expiresIn nor data.expiresAt")
	}
	link := ""
	if tr.Meta != nil {
		link = tr.Meta.CheckoutURL
		if path == portalPath {
			link = tr.Meta.PortalURL
		}
	}
	if err := httpx.CheckRedirectURL(link); err != nil {
		return tokencache.Token{}, hc.Unexpected(resp, "the returned page URL is unusable: %v", err)
	}
	return tokencache.Token{Value: provider.Pack(tr.Data.Token, link), ExpiresAt: expiresAt}, nil
}
