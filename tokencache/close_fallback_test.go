package tokencache

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Close drops every entry so that a closed cache a Source still holds
// keeps no token: that covers the token Invalidate set aside as the last
// resort, which Close left in the entry the Source is bound to.
func TestCloseKeepsNoInvalidatedToken(t *testing.T) {
	c := New()
	fetch := func(context.Context) (Token, error) {
		return Token{Value: "secret-token", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	s := c.Source("k", fetch)
	tok, err := s.Token(bg)
	require.NoError(t, err)
	s.Invalidate(tok)
	e := s.e.Load()
	require.NotNil(t, e)
	require.NotNil(t, e.fallback.Load(), "Invalidate keeps the last resort")
	require.NoError(t, c.Close())
	assert.Nil(t, e.fallback.Load(), "the closed cache still holds the invalidated token")
	_, err = s.Token(bg)
	assert.ErrorIs(t, err, ErrClosed)
}
