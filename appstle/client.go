package appstle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	s := o.Settings
	var shop string
	if o.shopDomain != nil {
		if err := checkShopOption(*o.shopDomain); err != nil {
			return nil, err
		}
		shop = *o.shopDomain
	}
	base, err := provider.Build(name, s, decodeError, apiKey, o.appKey)
	if err != nil {
		return nil, err
	}
	pub := &Client{c: &client{base: base, shop: shop, secrets: &secrets{
		apiKey:   apiKey,
		appKey:   o.appKey,
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

// customerClaim reads a JWT's customerId claim, unverified; ok is false for
// an opaque token or one without a numeric claim.
func customerClaim(token string) (int64, bool) {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return 0, false
	}
	switch v := claims["customerId"].(type) {
	case float64:
		return int64(v), v == float64(int64(v))
	case string:
		n, err := strconv.ParseInt(strings.TrimPrefix(v, gidPrefix), 10, 64)
		return n, err == nil
	}
	return 0, false
}

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
	exp, err := expiry(tr.Token, resp.Header, now)
	if err != nil {
		return tokencache.Token{}, hc.Unexpected(resp, "token %v", err)
	}
	extra := map[string]string{extraCustomerID: strconv.FormatInt(*tr.CustomerID, 10)}
	if tr.ExternalToken != "" {
		extra[extraExternalToken] = tr.ExternalToken
	}
	return tokencache.Token{Value: tr.Token, ExpiresAt: exp, Extra: extra}, nil
}

// expiry reads when an Appstle token, received at now in an answer with
// header h, expires from its claims, never later than receipt + 2 h:
//
//   - exp with an issue time (iat, else timestamp): exp − issue time from
//     receipt, whatever either clock says (provider.Expiry);
//   - exp alone: exp, moved by the clock skew the Date header shows
//     (provider.Absolute); one in the past is an error;
//   - timestamp alone: timestamp + 2 h, moved by that skew;
//   - neither, or an opaque token: receipt + 2 h.
func expiry(token string, h http.Header, now time.Time) (time.Time, error) {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return now.Add(TokenLifetime), nil // opaque token
	}
	issued, hasIssued := issuedAt(claims)
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil {
		t, err := provider.Expiry(exp.Time, issued, h, now, TokenLifetime)
		if err != nil {
			return time.Time{}, fmt.Errorf("exp %v", err)
		}
		return t, nil
	}
	if hasIssued {
		skew, _ := provider.DateSkew(h, now)
		return minTime(issued.Add(skew+TokenLifetime).In(now.Location()), now.Add(TokenLifetime)), nil
	}
	return now.Add(TokenLifetime), nil
}

// issuedAt reads a token's issue time: the iat claim, else Appstle's
// timestamp claim (seconds, or milliseconds above 1e12).
func issuedAt(claims jwt.MapClaims) (time.Time, bool) {
	if iat, err := claims.GetIssuedAt(); err == nil && iat != nil {
		return iat.Time, true
	}
	if ts, ok := claims["timestamp"].(float64); ok && ts > 0 && ts < 1e15 {
		if ts > 1e12 { // milliseconds
			return time.UnixMilli(int64(ts)), true
		}
		return time.Unix(int64(ts), 0), true
	}
	return time.Time{}, false
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
