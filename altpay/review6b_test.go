package altpay_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/altpay"
)

// An error never holds a whole response body: a provider message is cut at
// a few hundred bytes, and so must be the list of validation_errors, which
// otherwise brought a 1 MiB body into Error() and every log line.
func TestValidationErrorsAreBounded(t *testing.T) {
	c, mt, _ := mockClient(t)
	fields := map[string]string{}
	for i := range 5000 {
		fields[fmt.Sprintf("field_%04d", i)] = "must not be empty"
	}
	body, err := json.Marshal(map[string]any{"code": "bad_request", "message": "invalid", "validation_errors": fields})
	require.NoError(t, err)
	mt.RegisterResponder(http.MethodPost, "=~/oauth/token", respond(400, string(body)))
	_, err = c.AccessToken(bg)
	require.ErrorIs(t, err, altpay.ErrInvalidRequest)
	var ae *altpay.APIError
	require.True(t, errors.As(err, &ae))
	assert.NotEmpty(t, ae.Fields)
	assert.LessOrEqual(t, len(ae.Fields), 50)
	assert.Less(t, len(err.Error()), 4096, "Error() is %d bytes", len(err.Error()))
}
