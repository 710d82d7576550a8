package cartevo

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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

// Call sends an authenticated request to an API path (such as "/wallets")
// through [Client.Do], with in encoded as the JSON body (nil for none), and
// decodes the envelope's data into out (nil to ignore it). See
// [Client.DecodeEnvelope] for the errors.
func (c *Client) Call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader = http.NoBody
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL(path), body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	return c.DecodeEnvelope(resp, out)
}

// DecodeEnvelope reads and closes resp's body, a Cartevo envelope
// {"success", "statusCode", "message", "data"}, and decodes data into out
// (nil to ignore it). A non-2xx status or "success": false is an *APIError
// with Cartevo's message; a body that is not an envelope is
// ErrUnexpectedResponse.
func (c *Client) DecodeEnvelope(resp *http.Response, out any) error {
	defer resp.Body.Close()
	hc := c.c.base.HTTP
	body, err := hc.ReadBody(resp)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return hc.APIError(resp, body)
	}
	r := httpx.ResponseOf(resp, body)
	var env envelope
	if err := hc.DecodeJSON(r, &env); err != nil {
		return err
	}
	if env.Success == nil {
		return hc.Unexpected(r, "not an envelope: no success field")
	}
	if !*env.Success {
		status := env.StatusCode
		if status < 400 {
			status = http.StatusBadRequest
		}
		return hc.ErrorFor(r, status)
	}
	if out == nil || len(env.Data) == 0 || string(env.Data) == "null" {
		return nil
	}
	return hc.DecodeJSON(httpx.ResponseOf(resp, env.Data), out)
}
