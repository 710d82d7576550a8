package main

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// fakes -detach runs the same command line in the background: a flag
// whose value happens to be "detach" (a file, a secret) keeps its value
// instead of being dropped with -detach.
func TestFakesDetachKeepsAValueNamedDetach(t *testing.T) {
	bin := filepath.Join(checkoutkitBin(t), "checkoutkit")
	dir := t.TempDir()
	cmd := exec.Command(bin, "fakes", "-detach", "-port", "0", "-only", "cartevo", "-env-file", "detach")
	cmd.Dir = dir
	cmd.Env = shellEnv(t, filepath.Dir(bin), nil)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	b, err := os.ReadFile(filepath.Join(dir, "detach"))
	require.NoError(t, err, "the env file is named as given")
	env := exports(t, string(b))
	pid, err := strconv.Atoi(env["CHECKOUTKIT_FAKES_PID"])
	require.NoError(t, err)
	p, err := os.FindProcess(pid)
	require.NoError(t, err)
	require.NoError(t, p.Signal(syscall.SIGTERM))
	assert.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(dir, "detach"))
		return os.IsNotExist(err)
	}, 10*time.Second, 10*time.Millisecond, "the background fakes stop and remove their file")
	assert.NotEmpty(t, env["CARTEVO_BASE_URL"])
}
