package crovver_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
)

// A public key with its file's trailing newline cannot go in the
// X-Public-Key header: New refuses it, naming publicKey, instead of every
// call failing in the transport after its retries.
func TestPublicKeyWithNewlineIsRefusedByNew(t *testing.T) {
	srv := crovvertest.NewServer()
	defer srv.Close()
	c, err := crovver.New(crovvertest.PublicKey+"\n", crovver.WithBaseURL(srv.URL()))
	if c != nil {
		c.Close()
	}
	require.Error(t, err)
	assert.True(t, errors.Is(err, crovver.ErrInvalidRequest), "%v", err)
	var fe *crovver.FieldError
	require.True(t, errors.As(err, &fe), "%v", err)
	assert.Equal(t, "publicKey", fe.Field)
	assert.NotContains(t, err.Error(), crovvertest.PublicKey)
}
