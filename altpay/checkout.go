package altpay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/internal/provider"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

const (
	initPathV1   = "/v1/checkout-auth/init"
	initPathBare = "/checkout-auth/init"
)

// CheckoutTokenRequest names the customer and invoice to pay. Both are
// required. Check that they belong to the signed-in user before asking.
type CheckoutTokenRequest struct {
	CustomerID string
	InvoiceID  string
}

// validate reports a FieldError for a missing customer or invoice id.
func (r CheckoutTokenRequest) validate() error {
	switch {
	case strings.TrimSpace(r.CustomerID) == "":
		return httpx.Invalid(name, "CustomerID", "must not be empty")
	case strings.TrimSpace(r.InvoiceID) == "":
		return httpx.Invalid(name, "InvoiceID", "must not be empty")
	}
	return nil
}

// CheckoutToken is a checkout token for the browser SDK. Printing it never
// shows Token.
type CheckoutToken struct {
	Token     string
	ExpiresAt time.Time
	Claims    CheckoutClaims
	ExpiresIn time.Duration        // lifetime left when returned
	Request   CheckoutTokenRequest // the customer and invoice it was minted for
}

// String describes the token without its value.
func (t CheckoutToken) String() string {
	return fmt.Sprintf("CheckoutToken{Token: [redacted], CustomerID: %s, InvoiceID: %s, ExpiresAt: %s}",
		t.Claims.CustomerID, t.Claims.InvoiceID, t.ExpiresAt.UTC().Format(time.RFC3339))
}

// GoString implements fmt.GoStringer, redacted.
func (t CheckoutToken) GoString() string { return "altpay." + t.String() }

// LogValue implements slog.LogValuer, redacted.
func (t CheckoutToken) LogValue() slog.Value {
	return slog.GroupValue(slog.String("invoice_id", t.Claims.InvoiceID), slog.Time("expires_at", t.ExpiresAt))
}

// CheckoutToken mints (or reuses, while fresh) a checkout token scoped to
// one customer and invoice: POST /v1/checkout-auth/init with the access
// token. If that path answers 404, the unprefixed /checkout-auth/init is
// tried once and, if it works, used from then on by this client. The
// expiry is taken from expires_at (RFC 3339, or Unix seconds or
// milliseconds), else expires_in, else the token's exp claim, and is never
// later than that claim; an absolute one is judged by the
// provider's clock (exp − iat from receipt when the JWT has both, else
// corrected by the answer's Date header). A token whose claims name
// another customer or invoice is refused, when minted and when it comes
// out of the cache (or a shared Store). A reused token has at least five minutes
// left (half its lifetime, for tokens living under ten), unless the provider
// is failing and an older one still works.
func (c *Client) CheckoutToken(ctx context.Context, r CheckoutTokenRequest) (*CheckoutToken, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	tok, err := c.c.checkoutToken(ctx, r)
	if err != nil {
		return nil, err
	}
	return c.c.public(tok, r), nil
}

// checkoutToken returns the cached token for r (minting one if need be),
// vetted by checker(r) when minted and again here, so that a value from a
// shared Store is never trusted blindly.
func (c *client) checkoutToken(ctx context.Context, r CheckoutTokenRequest) (tokencache.Token, error) {
	key := c.checkoutKey(r)
	check := c.checker(r)
	call := provider.Call{Method: http.MethodPost, Path: initPathV1}
	tok, err := c.base.Token(ctx, key, call, func(ctx context.Context) (tokencache.Token, error) {
		return c.mintCheckout(ctx, r)
	}, check)
	if err != nil {
		return tokencache.Token{}, err
	}
	if err := check(tok); err != nil {
		c.base.Cache.Invalidate(key, tok)
		return tokencache.Token{}, fmt.Errorf("%s: %w: cached checkout token refused (%v); dropped it", name, ErrUnexpectedResponse, err)
	}
	return tok, nil
}

func (c *client) public(tok tokencache.Token, r CheckoutTokenRequest) *CheckoutToken {
	claims, _ := readClaims(tok.Value)
	return &CheckoutToken{Token: tok.Value, ExpiresAt: tok.ExpiresAt, Claims: claims, ExpiresIn: tok.ExpiresAt.Sub(c.base.Cache.Now()), Request: r}
}

// checker returns the check a checkout token for r passes, as every mint
// is vetted (provider.Base.Check): a token of bounded size with no type,
// living at most maxCheckoutLifetime, whose claims, when it is a JWT, fit r
// (checkClaims).
func (c *client) checker(r CheckoutTokenRequest) func(tokencache.Token) error {
	return func(tok tokencache.Token) error {
		if err := c.base.Check(tok, "", maxCheckoutLifetime); err != nil {
			return err
		}
		return checkClaims(tok.Value, r)
	}
}

// checkClaims reports why a checkout token's claims, if it is a JWT, do not
// fit r: they name another customer or invoice (a claim that is there but
// is no string or number, such as an object, a list or null, or is empty,
// names no one r can be compared with, and does not match), or its exp
// claim is there but is no time (then the token's own expiry is unknown).
func checkClaims(token string, r CheckoutTokenRequest) error {
	claims, isJWT := provider.Claims(token)
	switch {
	case !isJWT:
		return nil
	case !names(claims, "customer_id", r.CustomerID) || !names(claims, "invoice_id", r.InvoiceID):
		return errors.New("token claims name another customer or invoice")
	}
	if _, ok := claims["exp"]; ok {
		if exp, err := claims.GetExpirationTime(); err != nil || exp == nil {
			return errors.New("token's exp claim is not a time")
		}
	}
	return nil
}

// names reports whether claim k is absent from claims or is want.
func names(claims jwt.MapClaims, k, want string) bool {
	v, ok := claims[k]
	return !ok || claimString(v) == want
}

// InvalidateCheckout drops tok, as [Client.CheckoutToken] returned it,
// from the cache if it is still the checkout token cached for its request,
// so that the next CheckoutToken for that customer and invoice mints a new
// one. It has the shape of [Client.InvalidateToken]: hand back what the
// mint returned. Call it when the browser SDK reports tok expired or
// refused ([Client.RefreshHandler] does, for an "expiredToken" it is sent,
// once the token is older than [RefreshMinAge]; this method applies no
// such limit, so do not call it on every report a browser sends).
// Concurrent calls for one token cause one new mint. A nil tok does
// nothing.
func (c *Client) InvalidateCheckout(tok *CheckoutToken) {
	if tok != nil {
		c.c.invalidateCheckout(tok.Request, tok.Token)
	}
}

// InvalidateCheckoutToken drops tok from the cache if it is still the
// checkout token cached for r.
//
// Deprecated: use [Client.InvalidateCheckout] with the *CheckoutToken
// that CheckoutToken returned, the shape InvalidateToken has.
func (c *Client) InvalidateCheckoutToken(r CheckoutTokenRequest, tok string) {
	c.c.invalidateCheckout(r, tok)
}

func (c *client) invalidateCheckout(r CheckoutTokenRequest, tok string) {
	c.base.Cache.Invalidate(c.checkoutKey(r), tokencache.Token{Value: tok})
}

func (c *client) checkoutKey(r CheckoutTokenRequest) string {
	return c.key("checkout", r.CustomerID, r.InvoiceID)
}

// maxCheckoutLifetime bounds a checkout token's stated lifetime.
const maxCheckoutLifetime = 24 * time.Hour

func (c *client) mintCheckout(ctx context.Context, r CheckoutTokenRequest) (tokencache.Token, error) {
	body, err := json.Marshal(map[string]string{"customer_id": r.CustomerID, "invoice_id": r.InvoiceID})
	if err != nil {
		return tokencache.Token{}, err
	}
	path := initPathV1
	if p := c.initPath.Load(); p != nil {
		path = *p
	}
	resp, err := c.postInit(ctx, path, body)
	if err != nil {
		var ae *httpx.APIError
		if path == initPathV1 && c.initPath.Load() == nil && errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound {
			path = initPathBare
			resp, err = c.postInit(ctx, path, body)
		}
		if err != nil {
			return tokencache.Token{}, err
		}
	}
	c.initPath.Store(&path)
	return decodeCheckout(c.base.HTTP, resp, r, c.base.Cache.Now())
}

// decodeCheckout reads an init answer for r received at now: the token
// (under token or access_token), claims that fit r if it is a JWT
// (checkClaims), and an expiry within maxCheckoutLifetime.
func decodeCheckout(hc *httpx.Client, resp *httpx.Response, r CheckoutTokenRequest, now time.Time) (tokencache.Token, error) {
	var v struct {
		Token       string   `json:"token"`
		AccessToken string   `json:"access_token"`
		ExpiresAt   any      `json:"expires_at"`
		ExpiresIn   *float64 `json:"expires_in"`
	}
	if err := hc.DecodeJSON(resp, &v); err != nil {
		return tokencache.Token{}, err
	}
	tok := v.Token
	if tok == "" {
		tok = v.AccessToken // as a TypeScript integration reads it
	}
	if err := httpx.CheckToken(tok); err != nil {
		return tokencache.Token{}, hc.Unexpected(resp, "token: %v", err)
	}
	if err := checkClaims(tok, r); err != nil {
		return tokencache.Token{}, hc.Unexpected(resp, "%v", err)
	}
	claims, _ := readClaims(tok)
	var exp, claimed time.Time
	var err error
	if t, ok := parseExpiresAt(v.ExpiresAt, now); ok {
		exp, err = provider.Absolute(t, tok, resp.Header, now, maxCheckoutLifetime)
		err = wrapf(err, "expires_at %v")
	} else if v.ExpiresIn != nil {
		var life time.Duration
		life, err = provider.Lifetime(*v.ExpiresIn, maxCheckoutLifetime)
		exp, err = now.Add(life), wrapf(err, "expires_in: %v")
	}
	if err == nil && !claims.ExpiresAt.IsZero() {
		// The token is dead at its own exp, whatever the answer says.
		claimed, err = provider.Absolute(claims.ExpiresAt, tok, resp.Header, now, maxCheckoutLifetime)
		err = wrapf(err, "exp claim %v")
	}
	switch {
	case err != nil:
	case exp.IsZero() && claimed.IsZero():
		err = errors.New("no expires_at, expires_in or exp claim")
	case exp.IsZero() || !claimed.IsZero() && claimed.Before(exp):
		exp = claimed
	}
	if err != nil {
		return tokencache.Token{}, hc.Unexpected(resp, "%v", err)
	}
	return tokencache.Token{Value: tok, ExpiresAt: exp, Extra: map[string]string{extraMintedAt: now.UTC().Format(time.RFC3339Nano)}}, nil
}

// extraMintedAt is the Extra key of the time a checkout token was minted
// (RFC 3339, by the minting cache's clock), which RefreshHandler reads.
const extraMintedAt = "minted_at"

func wrapf(err error, format string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format, err)
}

// postInit sends the init call with the access token (one refresh on 401)
// and reads the answer.
func (c *client) postInit(ctx context.Context, path string, body []byte) (*httpx.Response, error) {
	return c.base.HTTP.Send(ctx, httpx.Request{
		Method: http.MethodPost, Path: path, Body: body, ContentType: "application/json",
		Auth: c.src, Retry: true, // minting twice is harmless
	})
}

// parseExpiresAt reads expires_at as RFC 3339 or a Unix time in seconds,
// or in milliseconds (as JavaScript's Date.now) when it lies, in seconds,
// beyond any lifetime from now and, in milliseconds, within MaxLifetime
// of now on either side (one already past on this clock may not be on the
// provider's: the caller corrects by the Date header).
func parseExpiresAt(v any, now time.Time) (time.Time, bool) {
	var n int64
	switch x := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339, x); err == nil {
			return t, true
		}
		n, _ = strconv.ParseInt(x, 10, 64)
	case float64:
		n = int64(min(x, math.MaxInt64/2))
	}
	if n <= 0 {
		return time.Time{}, false
	}
	if t := time.Unix(n, 0); t.Sub(now) <= tokencache.MaxLifetime || time.UnixMilli(n).Before(now.Add(-tokencache.MaxLifetime)) {
		return t, true
	}
	return time.UnixMilli(n), true
}
