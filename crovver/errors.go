package crovver

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// APIError is a non-success answer from Crovver, with Crovver's error code
// (INVALID_PUBLIC_KEY, TENANT_NOT_FOUND, ...) and message.
type APIError = checkoutkit.APIError

// FieldError is a local validation failure, returned before any request:
// Field names the argument or request field (errors.As to read it). It
// matches ErrInvalidRequest.
type FieldError = checkoutkit.FieldError

var (
	// ErrUnauthorized matches 401/403, including INVALID_PUBLIC_KEY.
	ErrUnauthorized = checkoutkit.ErrUnauthorized
	// ErrRateLimited matches 429.
	ErrRateLimited = checkoutkit.ErrRateLimited
	// ErrInvalidRequest matches local validation failures (which name the
	// field and send nothing) and 400/422, including MISSING_* codes.
	ErrInvalidRequest = checkoutkit.ErrInvalidRequest
	// ErrNotFound matches 404, including TENANT_NOT_FOUND and
	// NO_ACTIVE_SUBSCRIPTION.
	ErrNotFound = checkoutkit.ErrNotFound
	// ErrUnexpectedResponse matches a success that is not what Crovver
	// documents (no token, no lifetime, a checkout URL that is not http(s)).
	ErrUnexpectedResponse = checkoutkit.ErrUnexpectedResponse
	// ErrResponseTooLarge matches a response over the size limit.
	ErrResponseTooLarge = checkoutkit.ErrResponseTooLarge
	// ErrEnvironment matches a 403 about the environment a token belongs
	// to rather than the token (see checkoutkit.ErrEnvironment).
	ErrEnvironment = checkoutkit.ErrEnvironment

	// ErrTenantNotFound matches Crovver's TENANT_NOT_FOUND (the tenant
	// never checked out).
	ErrTenantNotFound = errors.New("crovver: tenant not found")
	// ErrNoActiveSubscription matches Crovver's NO_ACTIVE_SUBSCRIPTION.
	ErrNoActiveSubscription = errors.New("crovver: no active subscription")
)

// codes maps Crovver's error codes to a status (used when Crovver answers
// 2xx with "success": false) and an extra sentinel.
var codes = map[string]struct {
	status int
	kind   error
}{
	"MISSING_PUBLIC_KEY":      {http.StatusBadRequest, nil},
	"MISSING_REQUIRED_FIELDS": {http.StatusBadRequest, nil},
	"INVALID_PUBLIC_KEY":      {http.StatusUnauthorized, nil},
	"TENANT_NOT_FOUND":        {http.StatusNotFound, ErrTenantNotFound},
	"NO_ACTIVE_SUBSCRIPTION":  {http.StatusNotFound, ErrNoActiveSubscription},
}

type errorBody struct {
	Success *bool `json:"success"`
	Error   *struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	} `json:"error"`
}

// decodeError reads {"success": false, "data": null, "error": {"message",
// "code"}}.
func decodeError(e *httpx.APIError, body []byte) {
	var v errorBody
	if json.Unmarshal(body, &v) != nil || v.Error == nil {
		return
	}
	e.Message, e.Code = v.Error.Message, v.Error.Code
	if c, ok := codes[e.Code]; ok {
		e.Kind = c.kind
	}
}
