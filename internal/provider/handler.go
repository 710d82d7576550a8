package provider

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// Every handler maps failures with one table (the providers' package docs
// and the README show it):
//
//	the handler's own callback (resolve, authorize) failed:
//	  matches ErrUnauthorized   401
//	  matches ErrNotFound       404
//	  matches ErrInvalidRequest 400
//	  any other error           403
//	the request the callback returned is invalid     400
//	the provider: ErrNotFound (no such tenant, customer)  404
//	the provider: rate limited, or backing off     503
//	the provider failed otherwise                  502
//	a method other than the handler's              405
//
// The body is the status text alone; the reason goes to the client's
// logger at Warn, never to the browser.

// CallbackStatus is the status for an error from a handler's callback.
func CallbackStatus(err error) int {
	switch {
	case errors.Is(err, httpx.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, httpx.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, httpx.ErrInvalidRequest):
		return http.StatusBadRequest
	}
	return http.StatusForbidden
}

// TokenStatus is the status for an error from minting the token.
func TokenStatus(err error) int {
	var fe *httpx.FieldError
	switch {
	case errors.As(err, &fe):
		return http.StatusBadRequest
	case errors.Is(err, httpx.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, httpx.ErrRateLimited), errors.Is(err, tokencache.ErrBackoff):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable
	}
	return http.StatusBadGateway
}

// Handler is the shared skeleton of a provider's HTTP handler: it checks
// the method, sets the no-store and no-referrer headers, and reports every
// refusal through the client's logger.
type Handler struct {
	Base    *Base
	Name    string   // e.g. "crovver.RedirectHandler", for the log
	Methods []string // accepted methods; the first is named in Allow too
}

// Start checks r's method and sets the headers every answer carries. It
// reports false, having answered 405, for another method.
func (h *Handler) Start(w http.ResponseWriter, r *http.Request) bool {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	for _, m := range h.Methods {
		if r.Method == m {
			return true
		}
	}
	allow := ""
	for i, m := range h.Methods {
		if i > 0 {
			allow += ", "
		}
		allow += m
	}
	w.Header().Set("Allow", allow)
	h.Refuse(w, r, http.StatusMethodNotAllowed, "method not allowed", nil)
	return false
}

// RefuseCallback answers an error from the handler's callback.
func (h *Handler) RefuseCallback(w http.ResponseWriter, r *http.Request, err error) {
	h.Refuse(w, r, CallbackStatus(err), "request refused by the callback", err)
}

// RefuseToken answers an error from minting the token.
func (h *Handler) RefuseToken(w http.ResponseWriter, r *http.Request, err error) {
	reason := "provider error"
	var fe *httpx.FieldError
	if errors.As(err, &fe) {
		reason = "invalid request from the callback"
	}
	h.Refuse(w, r, TokenStatus(err), reason, err)
}

// Refuse answers status with its plain status text and logs why at Warn:
// the reason, the invalid field if any, and the error's text, which this
// SDK keeps free of secrets (and which passes the client's redaction once
// more, for errors a callback made).
func (h *Handler) Refuse(w http.ResponseWriter, r *http.Request, status int, reason string, err error) {
	if l := h.Base.Logger; l != nil {
		attrs := []slog.Attr{
			slog.String("provider", h.Base.Name),
			slog.String("handler", h.Name),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.String("reason", reason),
		}
		var fe *httpx.FieldError
		if errors.As(err, &fe) {
			attrs = append(attrs, slog.String("field", fe.Field))
		}
		var ae *httpx.APIError
		if errors.As(err, &ae) {
			attrs = append(attrs, slog.Int("provider_status", ae.StatusCode))
			if ae.Code != "" {
				attrs = append(attrs, slog.String("provider_code", ae.Code))
			}
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", h.Base.HTTP.Redactor().Clean(err.Error())))
		}
		l.LogAttrs(r.Context(), slog.LevelWarn, "checkoutkit handler refused", attrs...)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(http.StatusText(status) + "\n"))
}

// Redirect answers 303 See Other to target after checking it once more
// (an https URL, or http on loopback, with a host and no user info), so
// that a value from a shared Store or a misbehaving provider never reaches
// a Location header unchecked.
func (h *Handler) Redirect(w http.ResponseWriter, r *http.Request, target string) {
	if err := httpx.CheckRedirectURL(target); err != nil {
		h.Refuse(w, r, http.StatusBadGateway, "unusable page URL", err)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// MustCallback panics when a handler is built with a nil callback, so the
// mistake shows at start-up rather than on each request.
func MustCallback(name string, isNil bool) {
	if isNil {
		panic(name + ": nil callback")
	}
}

// RedirectHandler is the handler behind every "send the browser to the
// provider's page" endpoint: for GET and POST it asks resolve which token
// the signed-in user may have, gets the page URL from link, and answers 303
// See Other to it.
func RedirectHandler[R any](b *Base, name string, resolve func(*http.Request) (R, error), link func(context.Context, R) (string, error)) http.Handler {
	MustCallback(name, resolve == nil)
	h := &Handler{Base: b, Name: name, Methods: []string{http.MethodGet, http.MethodPost}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.Start(w, r) {
			return
		}
		req, err := resolve(r)
		if err != nil {
			h.RefuseCallback(w, r, err)
			return
		}
		target, err := link(r.Context(), req)
		if err != nil {
			h.RefuseToken(w, r, err)
			return
		}
		h.Redirect(w, r, target)
	})
}
