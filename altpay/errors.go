package altpay

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// APIError is a non-success answer from Alternative Payments.
type APIError = checkoutkit.APIError

// FieldError is a local validation failure, returned before any request:
// Field names the argument or request field (errors.As to read it). It
// matches ErrInvalidRequest.
type FieldError = checkoutkit.FieldError

var (
	// ErrUnauthorized matches 401 and 403: bad client credentials answer
	// 403 "Invalid credentials" on /oauth/token.
	ErrUnauthorized = checkoutkit.ErrUnauthorized
	// ErrRateLimited matches 429 (5 requests per second per key).
	ErrRateLimited = checkoutkit.ErrRateLimited
	// ErrInvalidRequest matches local validation failures (which name the
	// field and send nothing) and 400/422 ("invalid invoice id").
	ErrInvalidRequest = checkoutkit.ErrInvalidRequest
	// ErrNotFound matches 404.
	ErrNotFound = checkoutkit.ErrNotFound
	// ErrUnexpectedResponse matches a success that is not what Alternative
	// Payments documents (no token, no expiry, claims for another invoice).
	ErrUnexpectedResponse = checkoutkit.ErrUnexpectedResponse
	// ErrResponseTooLarge matches a response over the size limit.
	ErrResponseTooLarge = checkoutkit.ErrResponseTooLarge
	// ErrEnvironment matches a 403 about the environment a token belongs
	// to rather than the token (see checkoutkit.ErrEnvironment).
	ErrEnvironment = checkoutkit.ErrEnvironment
)

// decodeError reads the shapes Alternative Payments uses: the OpenAPI
// spec's flat {"code", "message", "validation_errors": {field: message}}
// (the fields become APIError.Fields), {"error": {"message", "code"}},
// OAuth's {"error": "invalid_client"} and 422's {"errors": [{"field",
// "message"}]}.
func decodeError(e *httpx.APIError, body []byte) {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Errors  []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
		ValidationErrors map[string]string `json:"validation_errors"`
	}
	if json.Unmarshal(body, &v) != nil {
		return
	}
	e.Message, e.Code = v.Message, v.Code
	var nested struct{ Message, Code string }
	var s string
	switch {
	case json.Unmarshal(v.Error, &nested) == nil && nested.Message != "":
		e.Message = nested.Message
		if nested.Code != "" {
			e.Code = nested.Code
		}
	case json.Unmarshal(v.Error, &s) == nil && s != "" && e.Message == "":
		e.Message = s
	}
	for _, field := range slices.Sorted(maps.Keys(v.ValidationErrors)) {
		e.Fields = append(e.Fields, checkoutkit.FieldError{Field: field, Reason: v.ValidationErrors[field]})
	}
	if len(v.Errors) > 0 {
		parts := make([]string, 0, len(v.Errors))
		for _, fe := range v.Errors {
			parts = append(parts, strings.TrimPrefix(fe.Field+": "+fe.Message, ": "))
		}
		if e.Message != "" {
			parts = append([]string{e.Message}, parts...)
		}
		e.Message = strings.Join(parts, "; ")
	}
}
