package provider

import (
	"context"
	"encoding/json"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// URL is a server-to-server client's URL: the absolute URL of an API path
// such as "/wallets" under the base URL, for requests to pass to Do.
func (b *Base) URL(path string) string { return b.HTTP.URL(path, nil).String() }

// SendJSON is the one implementation of a server-to-server client's Call:
// an authenticated request to an API path (a query string in path is sent
// as the query) with in encoded as the JSON body (nil for none). It
// refreshes auth's token once on a 401, and retries network errors and 5xx
// only for idempotent methods unless the client was made with
// WithRetryAllMethods. A non-2xx answer is the provider's *APIError; an in
// that does not encode is a FieldError naming the parameter in.
func (b *Base) SendJSON(ctx context.Context, auth httpx.Auth, method, path string, in any) (*httpx.Response, error) {
	r := httpx.Request{Method: method, Path: path, Auth: auth, Retry: b.RetryAll || httpx.Idempotent(method)}
	if in != nil {
		body, err := json.Marshal(in)
		if err != nil {
			return nil, httpx.Invalid(b.Name, "in", "does not encode as JSON: "+err.Error())
		}
		r.Body, r.ContentType = body, "application/json"
	}
	return b.HTTP.Send(ctx, r)
}

// DecodeBody decodes a 2xx answer that is the result itself (no envelope)
// into out. A nil out, an empty body or "null" decode to nothing; a body
// that is not JSON, or not out's shape, is ErrUnexpectedResponse.
func (b *Base) DecodeBody(r *httpx.Response, out any) error {
	if out == nil || len(r.Body) == 0 || string(r.Body) == "null" {
		return nil
	}
	return b.HTTP.DecodeJSON(r, out)
}
