package appstle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/internal/provider"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// customerClaim reads a JWT's customerId claim, unverified; ok is false for
// an opaque token or one without the claim. A claim that is not a customer
// id as Appstle writes one (a positive integer, or its
// gid://shopify/Customer/ form) reads as 0, no customer's id: it names
// someone, and the token must not pass for one that names no one.
func customerClaim(token string) (int64, bool) {
	claims, ok := provider.Claims(token)
	if !ok {
		return 0, false
	}
	v, ok := claims["customerId"]
	if !ok {
		return 0, false
	}
	switch v := v.(type) {
	case float64:
		if v > 0 && v < 1<<63 && v == float64(int64(v)) {
			return int64(v), true
		}
	case string:
		if n, err := ParseCustomerID(v); err == nil {
			return n, true
		}
	}
	return 0, true
}

type tokenResponse struct {
	CustomerID    *int64 `json:"customerId"`
	Token         string `json:"token"`
	ExternalToken string `json:"appstleExternalToken"`
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
//
// An exp that is not a number is an error.
func expiry(token string, h http.Header, now time.Time) (time.Time, error) {
	claims, ok := provider.Claims(token)
	if !ok {
		return now.Add(TokenLifetime), nil // opaque token
	}
	issued, hasIssued := issuedAt(claims)
	exp, err := claims.GetExpirationTime()
	if err != nil {
		return time.Time{}, errors.New("exp is not a number")
	}
	if exp != nil {
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
