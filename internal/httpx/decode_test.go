package httpx

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// DecodeJSON of an answer declared "application/json" costs what
// json.Unmarshal costs and nothing more: the media type that nearly every
// answer carries is not parsed (mime.ParseMediaType allocated a parameter
// map per answer).
func TestDecodeJSONAllocatesAsUnmarshalDoes(t *testing.T) {
	c := newClient(t, "https://api.example.com")
	resp := &Response{Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"access_token":"abcd","expires_in":60}`)}
	type token struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	plain := testing.AllocsPerRun(100, func() {
		var v token
		if err := json.Unmarshal(resp.Body, &v); err != nil {
			t.Fatal(err)
		}
	})
	decoded := testing.AllocsPerRun(100, func() {
		var v token
		if err := c.DecodeJSON(resp, &v); err != nil {
			t.Fatal(err)
		}
	})
	assert.Equal(t, plain, decoded)
}
