package main

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A JWT's header and claims are JSON objects (RFC 7515 §4, RFC 7519 §4):
// decode refuses a token whose parts are other JSON values (an array, a
// string, a number), exit 1, instead of printing them as if they were a
// JWT's.
func TestDecodeRefusesPartsThatAreNotObjects(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	obj := enc([]byte(`{"alg":"HS256"}`))
	for _, tc := range []struct{ tok, part string }{
		{enc([]byte(`[1,2]`)) + "." + enc([]byte(`{"exp":1}`)) + ".sig", "header"},
		{obj + "." + enc([]byte(`"str"`)) + ".sig", "claims"},
		{obj + "." + enc([]byte(`1700000000`)) + ".sig", "claims"},
		{obj + "." + enc([]byte(`null`)) + ".sig", "claims"},
	} {
		code, out, errOut := cli(t, nil, "", "decode", tc.tok)
		assert.Equal(t, exitFail, code, tc.tok)
		assert.Empty(t, out, tc.tok)
		assert.Contains(t, errOut, "not a JWT: the "+tc.part+" is not a JSON object", tc.tok)
	}
}
