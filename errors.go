// Package checkoutkit holds what every provider package of the SDK shares
// with its users: the error types and sentinels that calls return, and the
// SDK version.
//
// Each provider package (cartevo, crovver, appstle, altpay) re-exports these
// names as aliases, so cartevo.APIError and checkoutkit.APIError are the same
// type and either works with errors.As; errors.Is(err,
// checkoutkit.ErrUnauthorized) and errors.Is(err, cartevo.ErrUnauthorized)
// are the same test.
//
// Besides these, two errors of package tokencache can come out of any
// provider call that returns a token: tokencache.ErrBackoff (the key is
// backing off after a failed fetch; it wraps the last fetch error, so the
// provider error still matches too) and tokencache.ErrClosed (the client or
// its cache was closed). A caller's cancelled or expired context comes back
// wrapped with the provider, method and path, and matches
// context.Canceled or context.DeadlineExceeded.
//
// No error of this SDK ever contains a credential, a token or a whole
// response body.
package checkoutkit

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Version is the SDK version, sent in the User-Agent header as
// "checkoutkit-go/" + Version.
const Version = "0.2.0"

// Sentinels that provider errors match with errors.Is.
var (
	// ErrUnauthorized matches a 401 or 403 answer: bad credentials, or a
	// token the provider no longer accepts.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrRateLimited matches a 429 answer. The *APIError carries RetryAfter
	// when the provider sent one.
	ErrRateLimited = errors.New("rate limited")
	// ErrInvalidRequest matches a local validation failure (a *FieldError,
	// returned before any request) and 400 and 422 answers.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrNotFound matches a 404 answer, and provider answers that mean "no
	// such customer or tenant" whatever their status.
	ErrNotFound = errors.New("not found")
	// ErrUnexpectedResponse matches an answer that is not what the provider
	// documents: an HTML page behind a 200, truncated JSON, an empty token,
	// an impossible lifetime, a redirect from a credentialed call.
	ErrUnexpectedResponse = errors.New("unexpected response")
	// ErrResponseTooLarge matches a response whose body exceeded the size
	// limit (1 MiB by default); it is never read in full.
	ErrResponseTooLarge = errors.New("response body too large")
	// ErrEnvironment matches a 403 answer about the environment the token
	// belongs to, not about the token itself: Cartevo's "Access denied:
	// this action is not allowed in preproduction mode", for a sandbox
	// token calling a production-only action. Such an error does not match
	// ErrUnauthorized, drops no token and starts no backoff: a new token
	// would be refused the same way.
	ErrEnvironment = errors.New("action not allowed in this environment")
)

// APIError is a non-success answer from a provider. Use errors.As to read
// it and errors.Is with the sentinels above. Its text never contains a
// credential, a token (including one the provider echoes back) or a whole
// response body.
type APIError struct {
	Provider   string        // "cartevo", "crovver", "appstle" or "altpay"
	StatusCode int           // HTTP status
	Code       string        // the provider's error code, if it sends one
	Message    string        // the provider's message, secret-free, or the status text
	RequestID  string        // the provider's request id header, if any
	RetryAfter time.Duration // from Retry-After on a 429 or 5xx answer, else 0
	Method     string        // request method
	Path       string        // request path, without query

	// Fields lists per-field validation errors the provider reported
	// (Alternative Payments' validation_errors, for example), sorted by
	// field name: the first 20.
	Fields []FieldError

	// Kind, when set by a provider, is one more sentinel the error matches
	// with errors.Is (crovver.ErrTenantNotFound, say).
	Kind error
}

// Error returns e.g. `cartevo: POST /api/v1/auth/token: 401 Unauthorized:
// Invalid client credentials (request id abc)`.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	b.WriteString(": ")
	if e.Method != "" {
		b.WriteString(e.Method + " " + e.Path + ": ")
	}
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		b.WriteString(" [" + e.Code + "]")
	}
	if e.Message != "" && e.Message != http.StatusText(e.StatusCode) {
		b.WriteString(": " + e.Message)
	}
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Field + ": " + f.Reason)
		if i == len(e.Fields)-1 {
			b.WriteString(")")
		}
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return b.String()
}

// Is maps the status to the sentinels: 401 and 403 are ErrUnauthorized
// (except a 403 of Kind ErrEnvironment, which is not about the token), 429
// ErrRateLimited, 400 and 422 ErrInvalidRequest, 404 ErrNotFound, a 3xx
// ErrUnexpectedResponse; Kind matches too, and so does every error Kind
// matches (crovver.ErrTenantNotFound matches ErrNotFound).
func (e *APIError) Is(target error) bool {
	if e.Kind != nil && errors.Is(e.Kind, target) {
		return true
	}
	switch target {
	case ErrUnauthorized:
		if e.Kind == ErrEnvironment {
			return false
		}
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrInvalidRequest:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnexpectedResponse:
		return e.StatusCode >= 300 && e.StatusCode < 400
	}
	return false
}

// RetryAfterHint implements tokencache.RetryHinter, so that a cache backs
// off at least as long as the provider asked.
func (e *APIError) RetryAfterHint() time.Duration { return e.RetryAfter }

// SkipBackoff implements tokencache.BackoffSkipper: an answer about the
// request itself (400, 404, 409, 422) says nothing about the provider's
// health, so a cache need not hold the key back; nor does an answer of Kind
// ErrEnvironment (a 403 about the token's mode). Bad credentials (401/403),
// rate limits and server errors do start a backoff.
func (e *APIError) SkipBackoff() bool {
	if e.Kind == ErrEnvironment {
		return true
	}
	switch e.StatusCode {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// FieldError is a validation failure of one field: a local one, reported
// before any request, or one a provider listed in an [APIError]'s Fields.
// It matches ErrInvalidRequest.
//
// For a local failure, Field is the Go identifier the caller wrote, in
// every provider package alike: a request struct's field by its field name
// ("ReturnURL", "InvoiceID"), a function or method argument by its
// parameter name as godoc shows it ("clientKey", "shopDomain", "tenantID";
// a field of an argument as a selector, "req.URL"), and an option by its
// function name ("WithBaseURL", "WithShopDomain"). For one a provider
// listed, Field is the provider's own wire name ("invoice_id").
type FieldError struct {
	Provider string // "cartevo", "crovver", ...
	Field    string // the Go identifier the caller wrote (see above)
	Reason   string // e.g. "must not be empty"
}

// Error returns e.g. "cartevo: invalid clientID: must not be empty".
func (e *FieldError) Error() string {
	return e.Provider + ": invalid " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalidRequest.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidRequest }
