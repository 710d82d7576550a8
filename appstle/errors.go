package appstle

import (
	"encoding/json"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// APIError is a non-success answer from Appstle, with the problem's detail
// (or title) as Message.
type APIError = httpx.APIError

// FieldError is a local validation failure, returned before any request:
// Field names the argument or request field (errors.As to read it). It
// matches ErrInvalidRequest.
type FieldError = httpx.FieldError

var (
	// ErrUnauthorized matches 401 and 403 (a wrong or revoked API key).
	ErrUnauthorized = httpx.ErrUnauthorized
	// ErrRateLimited matches 429.
	ErrRateLimited = httpx.ErrRateLimited
	// ErrInvalidRequest matches local validation failures (which name the
	// field and send nothing) and 400/422.
	ErrInvalidRequest = httpx.ErrInvalidRequest
	// ErrNotFound matches 404 (no such customer).
	ErrNotFound = httpx.ErrNotFound
	// ErrUnexpectedResponse matches a success that is not what Appstle
	// documents (no token, another customer's token).
	ErrUnexpectedResponse = httpx.ErrUnexpectedResponse
	// ErrResponseTooLarge matches a response over the size limit.
	ErrResponseTooLarge = httpx.ErrResponseTooLarge
)

// decodeError reads application/problem+json (title, status, detail) or a
// plain {"message"} body when Appstle sends one.
func decodeError(e *httpx.APIError, body []byte) {
	var v struct {
		Title   string `json:"title"`
		Detail  string `json:"detail"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &v) != nil {
		return
	}
	for _, m := range []string{v.Detail, v.Message, v.Title} {
		if m != "" {
			e.Message = m
			return
		}
	}
}
