package appstle_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
)

// A key read from a file or a mounted secret often keeps its trailing
// newline. Such a key cannot go in the X-Api-Key (or X-App-Key) header:
// New must refuse it with a FieldError naming the parameter, rather than
// let every call fail in the transport (retried, then backed off) with an
// error that names neither the parameter nor ErrInvalidRequest.
func TestKeyWithControlCharacterIsRefusedByNew(t *testing.T) {
	srv := appstletest.NewServer()
	defer srv.Close()
	for _, tc := range []struct {
		field string
		new   func() (*appstle.Client, error)
	}{
		{"apiKey", func() (*appstle.Client, error) {
			return appstle.New(appstletest.APIKey+"\n", appstle.WithBaseURL(srv.URL()))
		}},
		{"apiKey", func() (*appstle.Client, error) {
			return appstle.New("apst_\x00"+appstletest.APIKey, appstle.WithBaseURL(srv.URL()))
		}},
		{"WithAppKey", func() (*appstle.Client, error) {
			return appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()), appstle.WithAppKey("partner-key\r\n"))
		}},
		// WithAppKey(os.Getenv(...)) with the variable unset: refused, as
		// the README says, not a client that sends no X-App-Key.
		{"WithAppKey", func() (*appstle.Client, error) {
			return appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()), appstle.WithAppKey(""))
		}},
	} {
		c, err := tc.new()
		if c != nil {
			c.Close()
		}
		require.Error(t, err, tc.field)
		assert.True(t, errors.Is(err, appstle.ErrInvalidRequest), "%s: %v", tc.field, err)
		var fe *appstle.FieldError
		require.True(t, errors.As(err, &fe), "%s: %v", tc.field, err)
		assert.Equal(t, tc.field, fe.Field)
		assert.NotContains(t, err.Error(), appstletest.APIKey)
		assert.NotContains(t, err.Error(), "partner-key")
	}
	assert.Zero(t, srv.PortalTokens(), "nothing reached the provider")
}
