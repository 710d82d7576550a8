package crovver_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/crovver"
)

// New refuses, naming the option, every value another layer would replace
// silently.
func TestNewRefusesOptionsThatWouldBeReplaced(t *testing.T) {
	for opt, o := range map[string]crovver.Option{
		"WithMaxAttempts":   crovver.WithMaxAttempts(-1),
		"WithRetryWait":     crovver.WithRetryWait(5*time.Second, 0),
		"WithMaxRetryAfter": crovver.WithMaxRetryAfter(16 * time.Minute),
	} {
		_, err := crovver.New("key_123", o)
		require.ErrorIs(t, err, crovver.ErrInvalidRequest, opt)
		assert.Contains(t, err.Error(), opt)
	}
}
