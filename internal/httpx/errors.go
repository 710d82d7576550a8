package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// Sentinels shared by every provider package (each re-exports them).
var (
	ErrUnauthorized   = errors.New("unauthorized")
	ErrRateLimited    = errors.New("rate limited")
	ErrInvalidRequest = errors.New("invalid request")
	ErrNotFound       = errors.New("not found")

	// ErrUnexpectedResponse: the provider answered something that is not
	// what it documents (HTML, truncated JSON, an empty token...).
	ErrUnexpectedResponse = errors.New("unexpected response")

	// ErrResponseTooLarge: a response body exceeded the size limit.
	ErrResponseTooLarge = errors.New("response body too large")
)

// APIError is a non-success answer from a provider. Its text never contains
// a credential, a token or a whole response body.
type APIError struct {
	Provider   string        // "cartevo", "crovver", ...
	StatusCode int           // HTTP status
	Code       string        // the provider's error code, if it sends one
	Message    string        // the provider's message, secret-free, or the status text
	RequestID  string        // the provider's request id header, if any
	RetryAfter time.Duration // from Retry-After on 429/503, else 0
	Method     string        // request method
	Path       string        // request path, without query

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
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return b.String()
}

// Is maps the status to the shared sentinels: 401 and 403 are
// ErrUnauthorized, 429 ErrRateLimited, 400 and 422 ErrInvalidRequest, 404
// ErrNotFound; Kind matches too.
func (e *APIError) Is(target error) bool {
	if e.Kind != nil && target == e.Kind {
		return true
	}
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrInvalidRequest:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	}
	return false
}

// RetryAfterHint implements tokencache.RetryHinter, so that a cache backs
// off at least as long as the provider asked.
func (e *APIError) RetryAfterHint() time.Duration { return e.RetryAfter }

// SkipBackoff implements tokencache.BackoffSkipper: an answer about the
// request itself (400, 404, 409, 422) says nothing about the provider's
// health, so a cache need not hold the key back. Bad credentials (401/403),
// rate limits and server errors do start a backoff.
func (e *APIError) SkipBackoff() bool {
	switch e.StatusCode {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// FieldError is a local validation failure, reported before any request.
// It matches ErrInvalidRequest.
type FieldError struct {
	Provider string
	Field    string
	Reason   string
}

// Error returns e.g. "cartevo: invalid clientID: must not be empty".
func (e *FieldError) Error() string {
	return e.Provider + ": invalid " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalidRequest.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidRequest }

// Invalid returns a *FieldError.
func Invalid(provider, field, reason string) error {
	return &FieldError{Provider: provider, Field: field, Reason: reason}
}

// maxMessage bounds a provider message kept in an APIError.
const maxMessage = 300

// CleanMessage makes a provider message fit for an error string: secrets
// replaced, control characters dropped, length bounded.
func CleanMessage(msg string, secrets []string) string {
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, msg)
	msg = strings.TrimSpace(Redact(msg, secrets))
	if len(msg) > maxMessage {
		cut := maxMessage
		for cut > 0 && !isRuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Redact replaces every occurrence of each non-empty secret in s.
func Redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}
