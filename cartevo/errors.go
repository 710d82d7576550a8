package cartevo

import (
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// errorBody is what an error answer carries: message (a string, or an
// array of strings from NestJS's validation) and error, the status text.
type errorBody struct {
	Message json.RawMessage `json:"message"`
	Error   string          `json:"error"`
}

// decodeError reads Cartevo's error shapes: {"message": "..." | ["..."],
// "error": "Unauthorized", "statusCode": 401} on /auth/token, and the
// {"success": false, "message": "..."} envelope elsewhere.
func decodeError(e *httpx.APIError, body []byte) {
	var v errorBody
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
