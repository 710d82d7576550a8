package altpay

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/internal/httpx"
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
