package checkoutkit_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/checkoutkit/checkoutkit"
)

func TestAPIErrorText(t *testing.T) {
	e := &checkoutkit.APIError{
		Provider: "altpay", StatusCode: 400, Code: "bad_request", Message: "invalid invoice id",
		Method: "POST", Path: "/v1/checkout-auth/init", RequestID: "req_1",
		Fields: []checkoutkit.FieldError{{Field: "invoice_id", Reason: "must not be empty"}, {Field: "customer_id", Reason: "unknown"}},
	}
	assert.Equal(t, "altpay: POST /v1/checkout-auth/init: 400 Bad Request [bad_request]: invalid invoice id (invoice_id: must not be empty; customer_id: unknown) (request id req_1)", e.Error())
	e = &checkoutkit.APIError{Provider: "cartevo", StatusCode: 429, Message: "Too Many Requests", RetryAfter: 30 * time.Second}
	assert.Equal(t, "cartevo: 429 Too Many Requests (retry after 30s)", e.Error())
	assert.Equal(t, 30*time.Second, e.RetryAfterHint())
}

func TestAPIErrorMatchesSentinels(t *testing.T) {
	kind := errors.New("crovver: tenant not found")
	for status, want := range map[int][]error{
		400: {checkoutkit.ErrInvalidRequest},
		401: {checkoutkit.ErrUnauthorized},
		403: {checkoutkit.ErrUnauthorized},
		404: {checkoutkit.ErrNotFound},
		422: {checkoutkit.ErrInvalidRequest},
		429: {checkoutkit.ErrRateLimited},
		307: {checkoutkit.ErrUnexpectedResponse},
		500: {},
	} {
		err := fmt.Errorf("wrapped: %w", &checkoutkit.APIError{StatusCode: status, Kind: kind})
		all := []error{checkoutkit.ErrInvalidRequest, checkoutkit.ErrUnauthorized, checkoutkit.ErrNotFound, checkoutkit.ErrRateLimited, checkoutkit.ErrUnexpectedResponse}
		for _, s := range all {
			assert.Equal(t, contains(want, s), errors.Is(err, s), "%d %v", status, s)
		}
		assert.ErrorIs(t, err, kind, "Kind matches too")
	}
}

func contains(list []error, e error) bool {
	for _, x := range list {
		if x == e {
			return true
		}
	}
	return false
}

func TestSkipBackoff(t *testing.T) {
	for status, skip := range map[int]bool{400: true, 404: true, 409: true, 422: true, 401: false, 403: false, 429: false, 500: false, 307: false} {
		assert.Equal(t, skip, (&checkoutkit.APIError{StatusCode: status}).SkipBackoff(), status)
	}
}

func TestFieldError(t *testing.T) {
	err := error(&checkoutkit.FieldError{Provider: "crovver", Field: "ReturnURL", Reason: "must not be empty"})
	assert.Equal(t, "crovver: invalid ReturnURL: must not be empty", err.Error())
	assert.ErrorIs(t, err, checkoutkit.ErrInvalidRequest)
	assert.NotErrorIs(t, err, checkoutkit.ErrNotFound)
}

func ExampleAPIError() {
	// What a provider call can return, and how to read it.
	var err error = fmt.Errorf("charge: %w", &checkoutkit.APIError{
		Provider: "cartevo", StatusCode: http.StatusTooManyRequests, RetryAfter: 30 * time.Second,
		Method: "POST", Path: "/api/v1/auth/token",
	})
	var ae *checkoutkit.APIError
	if errors.As(err, &ae) && errors.Is(err, checkoutkit.ErrRateLimited) {
		fmt.Println("retry in", ae.RetryAfter)
	}
	fmt.Println(err)
	// Output:
	// retry in 30s
	// charge: cartevo: POST /api/v1/auth/token: 429 Too Many Requests (retry after 30s)
}

// A 403 of Kind ErrEnvironment is about the token's environment, not the
// token: it matches ErrEnvironment, not ErrUnauthorized, and skips backoff;
// any other 403 still matches ErrUnauthorized and backs off.
func TestEnvironmentError(t *testing.T) {
	env := fmt.Errorf("call: %w", &checkoutkit.APIError{StatusCode: 403, Kind: checkoutkit.ErrEnvironment})
	assert.ErrorIs(t, env, checkoutkit.ErrEnvironment)
	assert.NotErrorIs(t, env, checkoutkit.ErrUnauthorized)
	var ae *checkoutkit.APIError
	assert.True(t, errors.As(env, &ae))
	assert.True(t, ae.SkipBackoff())

	plain := &checkoutkit.APIError{StatusCode: 403}
	assert.ErrorIs(t, plain, checkoutkit.ErrUnauthorized)
	assert.NotErrorIs(t, plain, checkoutkit.ErrEnvironment)
	assert.False(t, plain.SkipBackoff())
}
