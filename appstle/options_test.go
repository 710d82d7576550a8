package appstle_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/appstle"
)

// New refuses, naming the option, every value another layer would replace
// silently.
func TestNewRefusesOptionsThatWouldBeReplaced(t *testing.T) {
	for opt, o := range map[string]appstle.Option{
		"WithMaxAttempts":   appstle.WithMaxAttempts(-1),
		"WithRetryWait":     appstle.WithRetryWait(5*time.Second, 0),
		"WithMaxRetryAfter": appstle.WithMaxRetryAfter(16 * time.Minute),
	} {
		_, err := appstle.New("key_123", o)
		require.ErrorIs(t, err, appstle.ErrInvalidRequest, opt)
		assert.Contains(t, err.Error(), opt)
	}
}
