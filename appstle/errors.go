package appstle

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
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
