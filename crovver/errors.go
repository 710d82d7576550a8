package crovver

import (
	"encoding/json"
	"net/http"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

var (
	// ErrTenantNotFound matches Crovver's TENANT_NOT_FOUND: Crovver has
	// never seen the tenant (no checkout token was ever minted for it). It
	// also matches ErrNotFound.
	ErrTenantNotFound error = &notFound{"crovver: tenant not found"}
	// ErrNoActiveSubscription matches Crovver's NO_ACTIVE_SUBSCRIPTION: the
	// tenant is known (it was sent to checkout) but has no active
	// subscription, because it never completed the checkout or cancelled.
	// "Checked out but no subscription" is this error, not
	// ErrTenantNotFound. It also matches ErrNotFound.
	ErrNoActiveSubscription error = &notFound{"crovver: no active subscription"}
)

// notFound is a sentinel that also matches ErrNotFound, so that an
// *APIError of its Kind does whatever status Crovver sent it with.
type notFound struct{ msg string }

func (e *notFound) Error() string { return e.msg }

// Is reports whether target is ErrNotFound.
func (e *notFound) Is(target error) bool { return target == ErrNotFound }

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
