package cartevo

import (
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
	return c.c.decodeCall(r, out)
}

// decodeCall decodes an answer in Cartevo's envelope, for [Client.Call] and
// [Client.DecodeEnvelope].
func (c *client) decodeCall(r *httpx.Response, out any) error {
	hc := c.base.HTTP
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
