package provider

import (
	"context"
	"errors"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// OAuth2 returns s as an oauth2.TokenSource: the cached token with its real
// expiry, one mint shared with every other user of s. An oauth2.TokenSource
// cannot say where its token goes: oauth2.NewClient attaches it to every
// request, to any host; use [Base.OAuth2Transport] or [Base.HTTPClient].
func (s *Source) OAuth2() oauth2.TokenSource { return oauthSource{s} }

type oauthSource struct{ s *Source }

func (o oauthSource) Token() (*oauth2.Token, error) {
	tok, err := o.s.Token(context.Background())
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: tok.Value, TokenType: "Bearer", Expiry: tok.ExpiresAt}, nil
}

// HTTPClient returns an *http.Client whose transport sends s's token to the
// base URL's scheme and host only (any other request fails), drops exactly
// that token on a 401, mints once and retries once when the body can be
// replayed. Redirects are errors, never followed.
func (b *Base) HTTPClient(s *Source) *http.Client {
	return &http.Client{
		Transport:     b.HTTP.Transport(s, b.RetryAll),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// OAuth2Transport returns an oauth2.Transport over next (nil:
// http.DefaultTransport) carrying s's token, behind a guard that refuses,
// before any token is attached, every request for another scheme or host
// than the base URL's, or whose Host field names another host. A client on
// it that follows a redirect to another host gets an error for that hop,
// and the other host gets nothing.
func (b *Base) OAuth2Transport(s *Source, next http.RoundTripper) http.RoundTripper {
	return &scopedTransport{b: b, next: &oauth2.Transport{Source: s.OAuth2(), Base: next}}
}

type scopedTransport struct {
	b    *Base
	next http.RoundTripper
}

func (t *scopedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.b.HTTP.BaseURL()
	var err error
	if req.URL == nil {
		err = errors.New(t.b.Name + ": request without URL")
	} else if req.URL.Scheme != base.Scheme || req.URL.Host != base.Host {
		err = httpx.Invalid(t.b.Name, "req.URL", "must use the client's base URL scheme and host ("+base.Scheme+"://"+base.Host+")")
	} else {
		err = t.b.HTTP.CheckHost(req)
	}
	if err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, even on errors
		}
		return nil, err
	}
	return t.next.RoundTrip(req)
}
