package appstle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

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

type client struct {
	base *provider.Base
	shop string // WithShopDomain's store, "" for none
	*secrets
}

// secrets holds the credentials behind a pointer of its own (see Client).
type secrets struct {
	apiKey   string
	appKey   string   // X-App-Key (partners), may be empty
	keyParts []string // base URL and API key, the first parts of every cache key
}

// New returns a Client for a store's API key (new keys start apst_). It
// fails, without any network call, on an empty key or a bad option
// (errors.Is(err, ErrInvalidRequest)).
func New(apiKey string, opts ...Option) (*Client, error) {
	o, err := configure(opts, "apiKey", apiKey)
	if err != nil {
		return nil, err
	}
	var appKey string
	if o.appKey != nil {
		if err := provider.Require(name, "WithAppKey", *o.appKey); err != nil {
			return nil, err
		}
		appKey = *o.appKey
	}
	s := o.Settings
	var shop string
	if o.shopDomain != nil {
		if err := checkShopOption(*o.shopDomain); err != nil {
			return nil, err
		}
		shop = *o.shopDomain
	}
	base, err := provider.Build(name, s, decodeError, apiKey, appKey)
	if err != nil {
		return nil, err
	}
	pub := &Client{c: &client{base: base, shop: shop, secrets: &secrets{
		apiKey:   apiKey,
		appKey:   appKey,
		keyParts: []string{base.HTTP.BaseURL().String(), apiKey},
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
// matches ErrNotFound. With [WithShopDomain] the result carries the
// customer-portal link as PortalURL (as crovver's PortalToken does);
// without it PortalURL is empty (build it with [PortalURL]).
func (c *Client) PortalToken(ctx context.Context, r PortalTokenRequest) (*PortalToken, error) {
	scope, query, wantID, err := r.normalize()
	if err != nil {
		return nil, err
	}
	cc := c.c
	key := provider.Key(name, append(cc.keyParts[:len(cc.keyParts):len(cc.keyParts)], scope)...)
	check := cc.checker(wantID)
	tok, err := cc.base.Token(ctx, key, provider.Call{Method: http.MethodGet, Path: tokenPath}, func(ctx context.Context) (tokencache.Token, error) {
		return cc.mint(ctx, query, wantID)
	}, check)
	if err != nil {
		return nil, err
	}
	if err := check(tok); err != nil {
		cc.base.Cache.Invalidate(key, tok)
		return nil, fmt.Errorf("%s: %w: cached token refused (%v); dropped it", name, ErrUnexpectedResponse, err)
	}
	// A secret too (see PortalToken), which the token path remembers only
	// for Value: redact it wherever Appstle echoes it, minted here or not.
	cc.base.HTTP.Redactor().Remember(tok.Extra[extraExternalToken])
	id, _ := strconv.ParseInt(tok.Extra[extraCustomerID], 10, 64)
	pt := &PortalToken{
		CustomerID:    id,
		Token:         tok.Value,
		ExternalToken: tok.Extra[extraExternalToken],
		ExpiresAt:     tok.ExpiresAt,
		ExpiresIn:     tok.ExpiresAt.Sub(cc.base.Cache.Now()),
	}
	if cc.shop != "" {
		if pt.PortalURL, err = portalLink(cc.shop, DefaultPortalPath, tok.Value); err != nil {
			return nil, err
		}
	}
	return pt, nil
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

// checker returns the check a portal token for customer wantID (0 for an
// e-mail lookup) passes, as every mint is vetted (provider.Base.Check): a
// token of bounded size with no type, living at most TokenLifetime, minted
// for a positive customer id in Extra that is wantID (when asked by id) and
// the token's own customerId claim (when it is a JWT that carries one).
func (c *client) checker(wantID int64) func(tokencache.Token) error {
	return func(tok tokencache.Token) error {
		if err := c.base.Check(tok, "", TokenLifetime); err != nil {
			return err
		}
		id, err := strconv.ParseInt(tok.Extra[extraCustomerID], 10, 64)
		switch {
		case err != nil || id <= 0:
			return errors.New("no customer id beside the token")
		case wantID != 0 && id != wantID:
			return errors.New("token is for another customer")
		}
		if claim, ok := customerClaim(tok.Value); ok && claim != id {
			return errors.New("token's customerId claim names another customer")
		}
		return nil
	}
}
