package cartevotest_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
)

// postToken posts body to the fake's token endpoint and returns the status
// and the decoded answer.
func postToken(t *testing.T, srv *cartevotest.Server, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(srv.URL()+"/auth/token", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// Cartevo compares the client key it issued with the one sent: a key with
// a space before or after it (pasted from a dashboard, read from a file)
// is not that key, and gets 401. The fake trimmed both fields before
// comparing, so a test against it passed with a credential Cartevo refuses.
func TestTokenRefusesPaddedCredentials(t *testing.T) {
	srv := cartevotest.NewServer()
	defer srv.Close()
	for _, body := range []string{
		`{"client_id":"` + cartevotest.ClientID + `","client_key":"` + cartevotest.ClientKey + ` "}`,
		`{"client_id":" ` + cartevotest.ClientID + `","client_key":"` + cartevotest.ClientKey + `"}`,
	} {
		code, out := postToken(t, srv, body)
		if code != http.StatusUnauthorized || out["message"] != "Invalid client credentials" {
			t.Errorf("%s: got %d %v, want 401 Invalid client credentials", body, code, out)
		}
	}
	if n := srv.Mints(); n != 0 {
		t.Errorf("Mints() = %d, want 0", n)
	}
}

// Cartevo's NestJS ValidationPipe checks each credential with IsString and
// IsNotEmpty: a missing client_id fails both (PROVIDERS.md's verbatim
// body), a number fails only IsString. The fake reported every bad value
// as "should not be empty", so a test asserting Cartevo's answer for a
// missing or mistyped field could not pass against it.
func TestTokenValidationMessagesAreNestJS(t *testing.T) {
	srv := cartevotest.NewServer()
	defer srv.Close()
	for body, want := range map[string][]any{
		`{"client_key":"` + cartevotest.ClientKey + `"}`:                  {"client_id must be a string", "client_id should not be empty"},
		`{"client_id":null,"client_key":"` + cartevotest.ClientKey + `"}`: {"client_id must be a string", "client_id should not be empty"},
		`{"client_id":123,"client_key":"` + cartevotest.ClientKey + `"}`:  {"client_id must be a string"},
		`{"client_id":"","client_key":"` + cartevotest.ClientKey + `"}`:   {"client_id should not be empty"},
		`{"client_id":"` + cartevotest.ClientID + `","client_key":["k"]}`: {"client_key must be a string"},
	} {
		code, out := postToken(t, srv, body)
		got, _ := out["message"].([]any)
		if code != http.StatusBadRequest || !slices.Equal(got, want) || out["error"] != "Bad Request" {
			t.Errorf("%s: got %d %v, want 400 %q", body, code, out, want)
		}
	}
}
