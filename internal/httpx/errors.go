package httpx

import (
	"github.com/checkoutkit/checkoutkit"
)

// The shared error types live in the public root package; these aliases
// keep this package's code short.
type (
	APIError   = checkoutkit.APIError
	FieldError = checkoutkit.FieldError
)

var (
	ErrUnauthorized       = checkoutkit.ErrUnauthorized
	ErrRateLimited        = checkoutkit.ErrRateLimited
	ErrInvalidRequest     = checkoutkit.ErrInvalidRequest
	ErrNotFound           = checkoutkit.ErrNotFound
	ErrUnexpectedResponse = checkoutkit.ErrUnexpectedResponse
	ErrResponseTooLarge   = checkoutkit.ErrResponseTooLarge
)

// Invalid returns a *FieldError.
func Invalid(provider, field, reason string) error {
	return &FieldError{Provider: provider, Field: field, Reason: reason}
}
