package appstle

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// APIError is a non-success answer from Appstle, with the problem's detail
// (or title) as Message.
type APIError = checkoutkit.APIError

// FieldError is a local validation failure, returned before any request:
// Field names the argument or request field (errors.As to read it). It
// matches ErrInvalidRequest.
type FieldError = checkoutkit.FieldError

var (
	// ErrUnauthorized matches 401 and 403 (a wrong or revoked API key).
	ErrUnauthorized = checkoutkit.ErrUnauthorized
	// ErrRateLimited matches 429.
	ErrRateLimited = checkoutkit.ErrRateLimited
	// ErrInvalidRequest matches local validation failures (which name the
	// field and send nothing) and 400/422.
	ErrInvalidRequest = checkoutkit.ErrInvalidRequest
	// ErrNotFound matches 404 (no such customer).
	ErrNotFound = checkoutkit.ErrNotFound
	// ErrUnexpectedResponse matches a success that is not what Appstle
	// documents (no token, another customer's token).
	ErrUnexpectedResponse = checkoutkit.ErrUnexpectedResponse
	// ErrResponseTooLarge matches a response over the size limit.
	ErrResponseTooLarge = checkoutkit.ErrResponseTooLarge
	// ErrEnvironment matches a 403 about the environment a token belongs
	// to rather than the token (see checkoutkit.ErrEnvironment).
	ErrEnvironment = checkoutkit.ErrEnvironment
)

// decodeError reads Appstle's errors: JHipster problem+json ({"title",
// "detail", "message": "error.invalidCustomer", "errorKey"}), Spring
// Security's {"title", "detail"}, or a plain {"message"}. The readable text
// is title (with detail when both are present, and detail alone when the
// title only repeats the status text); a message that is an i18n
// key ("error.…") is kept as the Code, not shown as the message. Appstle's
// "invalidCustomer" (an e-mail it does not know, answered 400) also
// matches ErrNotFound.
func decodeError(e *httpx.APIError, body []byte) {
	var v struct {
		Title    string `json:"title"`
		Detail   string `json:"detail"`
		Message  string `json:"message"`
		ErrorKey string `json:"errorKey"`
	}
	if json.Unmarshal(body, &v) != nil {
		return
	}
	i18n := strings.HasPrefix(v.Message, "error.")
	if v.Detail != "" && v.Title == http.StatusText(e.StatusCode) {
		v.Title = "" // Spring's {"title": "Unauthorized", ...} only repeats the status
	}
	switch {
	case v.Title != "" && v.Detail != "" && v.Title != v.Detail:
		e.Message = v.Title + ": " + v.Detail
	case v.Title != "":
		e.Message = v.Title
	case v.Detail != "":
		e.Message = v.Detail
	case !i18n:
		e.Message = v.Message
	}
	e.Code = v.ErrorKey
	if e.Code == "" && i18n {
		e.Code = strings.TrimPrefix(v.Message, "error.")
	}
	if e.Code == "invalidCustomer" {
		e.Kind = ErrNotFound
	}
}
