package altpay

import (
	"encoding/json"
	"strings"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// APIError is a non-success answer from Alternative Payments.
type APIError = httpx.APIError

// FieldError is a local validation failure, returned before any request:
// Field names the argument or request field (errors.As to read it). It
// matches ErrInvalidRequest.
type FieldError = httpx.FieldError

var (
	// ErrUnauthorized matches 401 and 403: bad client credentials answer
	// 403 "Invalid credentials" on /oauth/token.
	ErrUnauthorized = httpx.ErrUnauthorized
	// ErrRateLimited matches 429 (5 requests per second per key).
	ErrRateLimited = httpx.ErrRateLimited
	// ErrInvalidRequest matches local validation failures (which name the
	// field and send nothing) and 400/422 ("invalid invoice id").
	ErrInvalidRequest = httpx.ErrInvalidRequest
	// ErrNotFound matches 404.
	ErrNotFound = httpx.ErrNotFound
	// ErrUnexpectedResponse matches a success that is not what Alternative
	// Payments documents (no token, no expiry, claims for another invoice).
	ErrUnexpectedResponse = httpx.ErrUnexpectedResponse
	// ErrResponseTooLarge matches a response over the size limit.
	ErrResponseTooLarge = httpx.ErrResponseTooLarge
)

// decodeError reads the shapes Alternative Payments uses: {"error":
// {"message", "code"}}, {"error": "..."}, {"code", "message"} and 422's
// {"errors": [{"field", "message"}]}.
func decodeError(e *httpx.APIError, body []byte) {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Errors  []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
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
