package fakesrv

import (
	"encoding/json"
	"fmt"
)

// Envelope is the body of a fake's webhook: env (the provider's envelope
// fields) with data, marshalled as JSON, under "data". fake names the
// package in the error when data does not marshal.
func Envelope(fake string, env map[string]any, data any) ([]byte, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("%s: webhook data: %w", fake, err)
	}
	env["data"] = json.RawMessage(raw)
	return json.Marshal(env)
}
