package crovver

import (
	"context"
	"fmt"
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

type client struct {
	base *provider.Base
	*secrets
}

// secrets holds the credentials behind a pointer of its own (see Client).
type secrets struct {
	publicKey string
	keyParts  []string // base URL and public key, the first parts of every cache key
}

// New returns a Client for an organisation's public key (pk_live_… or
// pk_test_…; test mode follows the key). The key identifies the
// organisation; checkoutkit treats it as a credential and never logs or
// prints it. New fails, without any network call, on an empty key or a bad
// option (errors.Is(err, ErrInvalidRequest)).
func New(publicKey string, opts ...Option) (*Client, error) {
	o, err := configure(opts, "publicKey", publicKey)
	if err != nil {
		return nil, err
	}
	base, err := provider.Build(name, o.Settings, decodeError, publicKey)
	if err != nil {
		return nil, err
	}
	pub := &Client{c: &client{base: base, secrets: &secrets{
		publicKey: publicKey,
		keyParts:  []string{base.HTTP.BaseURL().String(), publicKey},
	}}}
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
// tenant that has checked out before, with the portal URL. A tenant
// Crovver has never seen is [ErrTenantNotFound]; a tenant that was sent to
// checkout but has no active subscription (it did not complete the
// checkout, or cancelled) is [ErrNoActiveSubscription]. Both match
// ErrNotFound.
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

// issued is a token as the client hands it out.
type issued struct {
	token, url string
	expiresAt  time.Time
	expiresIn  time.Duration
}

// pageURL is the Extra key of the page a token opens.
const pageURL = "page_url"

// token returns a token for body at path, from the cache unless reuse is
// off. The page URL travels beside the token in Extra; the token passes
// check when minted and again on the way out, so a value from a shared
// Store is never trusted blindly.
func (c *client) token(ctx context.Context, path string, body []byte) (issued, error) {
	key := providerKey(c, path, body)
	call := provider.Call{Method: http.MethodPost, Path: path}
	tok, err := c.base.Token(ctx, key, call, func(ctx context.Context) (tokencache.Token, error) {
		return c.mint(ctx, path, body)
	}, c.check)
	if err != nil {
		return issued{}, err
	}
	link := tok.Extra[pageURL]
	if err := c.check(tok); err != nil {
		c.base.Cache.Invalidate(key, tok)
		return issued{}, fmt.Errorf("%s: %w: cached token refused (%v); dropped it", name, ErrUnexpectedResponse, err)
	}
	return issued{
		token:     tok.Value,
		url:       link,
		expiresAt: tok.ExpiresAt,
		expiresIn: tok.ExpiresAt.Sub(c.base.Cache.Now()),
	}, nil
}

// check vets a checkout or portal token as every mint is vetted
// (provider.Base.Check): a token of bounded size with no type, living at
// most maxLifetime, with a page URL beside it that passes the same URL
// check as at mint.
func (c *client) check(tok tokencache.Token) error {
	if err := c.base.Check(tok, "", maxLifetime); err != nil {
		return err
	}
	if err := httpx.CheckRedirectURL(tok.Extra[pageURL]); err != nil {
		return fmt.Errorf("page URL is unusable: %v", err)
	}
	return nil
}

// providerKey is the cache key of a token for body at path.
func providerKey(c *client, path string, body []byte) string {
	return provider.Key(name, append(c.keyParts[:len(c.keyParts):len(c.keyParts)], path, string(body))...)
}

type tokenData struct {
	Token       string   `json:"token"`
	ExpiresAt   string   `json:"expiresAt"`
	CheckoutURL string   `json:"checkoutUrl"`
	PortalURL   string   `json:"portalUrl"`
	ExpiresIn   *float64 `json:"expiresIn"`
}

type tokenResponse struct {
	Success *bool      `json:"success"`
	Data    *tokenData `json:"data"`
	Meta    *tokenData `json:"meta"`
	Error   *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// maxLifetime bounds a Crovver token's stated lifetime: Crovver documents
// 10 minutes; a day leaves room without trusting a typo.
const maxLifetime = 24 * time.Hour

// mint posts body to path. Any 2xx with "success": true is a success; a 2xx
// with "success": false is an APIError with the status its code implies.
// The lifetime is receipt time + meta.expiresIn; data.expiresAt is used
// only when expiresIn is missing (Crovver's own example has an expiresAt in
// the past), judged by Crovver's clock (provider.Absolute: exp − iat, else
// the Date header). The page URL is read from meta (as the docs show) or from data
// (as crovver-react's types have it), meta first.
func (c *client) mint(ctx context.Context, path string, body []byte) (tokencache.Token, error) {
	hc := c.base.HTTP
	resp, err := hc.Send(ctx, httpx.Request{
		Method: http.MethodPost, Path: path, Body: body, ContentType: "application/json",
		Header: http.Header{"X-Public-Key": {c.publicKey}},
		Retry:  true, // minting twice is harmless
	})
	if err != nil {
		return tokencache.Token{}, err
	}
	return decodeToken(hc, resp, path, c.base.Cache.Now())
}

// decodeToken reads a 2xx answer to path received at now.
func decodeToken(hc *httpx.Client, resp *httpx.Response, path string, now time.Time) (tokencache.Token, error) {
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
	case tr.Data == nil:
		return tokencache.Token{}, hc.Unexpected(resp, "no data")
	}
	if err := httpx.CheckToken(tr.Data.Token); err != nil {
		return tokencache.Token{}, hc.Unexpected(resp, "data.token: %v", err)
	}
	meta := tr.Meta
	if meta == nil {
		meta = &tokenData{}
	}
	var expiresAt time.Time
	switch in := firstNonNil(meta.ExpiresIn, tr.Data.ExpiresIn); {
	case in != nil:
		life, err := provider.Lifetime(*in, maxLifetime)
		if err != nil {
			return tokencache.Token{}, hc.Unexpected(resp, "expiresIn: %v", err)
		}
		expiresAt = now.Add(life)
	case tr.Data.ExpiresAt != "":
		t, err := time.Parse(time.RFC3339, tr.Data.ExpiresAt)
		if err != nil {
			return tokencache.Token{}, hc.Unexpected(resp, "data.expiresAt is not RFC 3339")
		}
		if expiresAt, err = provider.Absolute(t, tr.Data.Token, resp.Header, now, maxLifetime); err != nil {
			return tokencache.Token{}, hc.Unexpected(resp, "data.expiresAt %v and expiresIn is missing", err)
		}
	default:
		return tokencache.Token{}, hc.Unexpected(resp, "no meta.expiresIn nor data.expiresAt")
	}
	field, link := "checkoutUrl", firstNonEmpty(meta.CheckoutURL, tr.Data.CheckoutURL)
	if path == portalPath {
		field, link = "portalUrl", firstNonEmpty(meta.PortalURL, tr.Data.PortalURL)
	}
	if link == "" {
		return tokencache.Token{}, hc.Unexpected(resp, "no %s in response", field)
	}
	if err := httpx.CheckRedirectURL(link); err != nil {
		return tokencache.Token{}, hc.Unexpected(resp, "%s is unusable: %v", field, err)
	}
	return tokencache.Token{Value: tr.Data.Token, ExpiresAt: expiresAt, Extra: map[string]string{pageURL: link}}, nil
}

func firstNonNil[T any](vs ...*T) *T {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
