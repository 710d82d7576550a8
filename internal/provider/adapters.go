package provider

import (
	"context"
	"net/http"

	"golang.org/x/oauth2"
)

// OAuth2 returns s as an oauth2.TokenSource: the cached token with its real
// expiry, one mint shared with every other user of s.
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
