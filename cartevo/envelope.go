package cartevo

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// envelope wraps every Cartevo response except /auth/token.
type envelope struct {
	Success    *bool           `json:"success"`
	StatusCode int             `json:"statusCode"`
	Message    json.RawMessage `json:"message"`
	Data       json.RawMessage `json:"data"`
}

// Call sends an authenticated request to an API path (such as "/wallets",
// or "/wallets?limit=1&currency=XAF": a query string in path is sent as the
// query), with in encoded as the JSON body (nil for none), and decodes the
// answer's data into out (nil to ignore it). It refreshes the token once on
// a 401, as [Client.Do] does, and retries network errors and 5xx only for
// idempotent methods unless [WithRetryAllMethods]. See
// [Client.DecodeEnvelope] for the shapes it accepts and its errors.
func (c *Client) Call(ctx context.Context, method, path string, in, out any) error {
	r := httpx.Request{Method: method, Path: path, Auth: c.c.src, Retry: c.c.base.RetryAll || httpx.Idempotent(method)}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return httpx.Invalid(name, "in", "does not encode as JSON: "+err.Error())
		}
		r.Body, r.ContentType = b, "application/json"
	}
	resp, err := c.c.base.HTTP.Send(ctx, r)
	if err != nil {
		return err
	}
	return c.decodeEnvelope(resp, out)
}

// DecodeEnvelope reads and closes resp's body and decodes its data into out
// (nil to ignore it). Cartevo wraps answers in {"success", "statusCode",
// "message", "data"}, except where its backend switches the envelope off
// and answers {"data": …} alone: both decode. A non-2xx status or "success":
// false is an *APIError with Cartevo's message; a 2xx body that is neither
// shape is ErrUnexpectedResponse.
func (c *Client) DecodeEnvelope(resp *http.Response, out any) error {
	r, err := c.c.base.HTTP.Read(resp)
	if err != nil {
		return err
	}
	return c.decodeEnvelope(r, out)
}

func (c *Client) decodeEnvelope(r *httpx.Response, out any) error {
	hc := c.c.base.HTTP
	var env envelope
	if err := hc.DecodeJSON(r, &env); err != nil {
		return err
	}
	switch {
	case env.Success == nil && env.Data == nil:
		return hc.Unexpected(r, "neither an envelope nor {\"data\": …}")
	case env.Success != nil && !*env.Success:
		status := env.StatusCode
		if status < 400 {
			status = http.StatusBadRequest
		}
		return hc.ErrorFor(r, status)
	}
	if out == nil || len(env.Data) == 0 || string(env.Data) == "null" {
		return nil
	}
	data := *r
	data.Body = env.Data
	return hc.DecodeJSON(&data, out)
}
