package cartevo

import (
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// APIError is a non-success answer from Cartevo: status, Cartevo's message
// (joined when it sends several), request id and RetryAfter. Use errors.As
// to inspect it and errors.Is with the sentinels below.
type APIError = checkoutkit.APIError

// FieldError is a local validation failure, returned before any request:
// Field names the argument or request field (errors.As to read it). It
// matches ErrInvalidRequest.
type FieldError = checkoutkit.FieldError

var (
	// ErrUnauthorized matches 401 and 403 answers ("Invalid client
	// credentials", or a token Cartevo no longer accepts).
	ErrUnauthorized = checkoutkit.ErrUnauthorized
	// ErrRateLimited matches 429 (Cartevo allows about 10 token requests
	// per 60 s per IP).
	ErrRateLimited = checkoutkit.ErrRateLimited
	// ErrInvalidRequest matches 400 and 422 answers and local validation
	// failures, which name the field and happen before any request.
	ErrInvalidRequest = checkoutkit.ErrInvalidRequest
	// ErrNotFound matches 404.
	ErrNotFound = checkoutkit.ErrNotFound
	// ErrUnexpectedResponse matches a 2xx answer that is not what Cartevo
	// documents: not JSON, no token, no positive lifetime.
	ErrUnexpectedResponse = checkoutkit.ErrUnexpectedResponse
	// ErrResponseTooLarge matches a response over the size limit (1 MiB).
	ErrResponseTooLarge = checkoutkit.ErrResponseTooLarge
	// ErrEnvironment matches Cartevo's 403 "Access denied: this action is
	// not allowed in preproduction mode" (or production mode): a guard on
	// the token's mode claim, not a problem with the token. It does not
	// match ErrUnauthorized; the token stays cached and no backoff starts.
	// Use a client of the other mode ([SandboxBaseURL], [DefaultBaseURL]).
	ErrEnvironment = checkoutkit.ErrEnvironment
)

// decodeError reads Cartevo's error shapes: {"message": "..." | ["..."],
// "error": "Unauthorized", "statusCode": 401} on /auth/token, and the
// {"success": false, "message": "..."} envelope elsewhere.
func decodeError(e *httpx.APIError, body []byte) {
	var v struct {
		Message json.RawMessage `json:"message"`
		Error   string          `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil {
		return
	}
	e.Message = joinMessage(v.Message)
	if e.Message == "" {
		e.Message = v.Error
	}
	if e.StatusCode == http.StatusForbidden && modeGuard.MatchString(e.Message) {
		e.Kind = ErrEnvironment
	}
}

// modeGuard matches the message of Cartevo's mode guard, the one 403 that
// is about the environment rather than the token: "Access denied: this
// action is not allowed in preproduction mode". Cartevo sends no code for
// it, so its text is all there is to go by.
var modeGuard = regexp.MustCompile(`(?i)\bnot allowed in (pre-?production|production|sandbox|live) mode\b`)

// joinMessage reads a message that is a string or an array of strings.
func joinMessage(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		out := ""
		for i, m := range list {
			if i > 0 {
				out += "; "
			}
			out += m
		}
		return out
	}
	return ""
}
