package main

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit"
)

func TestHelpListsFlagsOnce(t *testing.T) {
	code, out, errOut := cli(t, nil, "", "token", "-h")
	require.Equal(t, 0, code)
	assert.Empty(t, errOut, "help goes to standard output")
	for _, flag := range []string{"-base-url", "-show", "-timeout", "-customer", "-invoice", "-tenant", "-return-url", "-portal", "-email"} {
		assert.Regexp(t, `(?m)^  `+flag+`( |$)`, out, "token -h lists every provider's flags")
	}
	for _, p := range tokenProviders {
		assert.Contains(t, out, "Flags of token "+p+":")
	}

	code, out, _ = cli(t, nil, "", "version", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "Usage: checkoutkit version")
	assert.NotContains(t, out, "development build", "version -h prints help, not the version")

	for _, topic := range [][]string{{"token"}, {"fakes"}, {"decode"}, {"version"}, {"token", "crovver"}} {
		code, viaHelp, _ := cli(t, nil, "", append([]string{"help"}, topic...)...)
		assert.Equal(t, 0, code, "help %v", topic)
		_, viaFlag, _ := cli(t, nil, "", append(topic, "-h")...)
		assert.Equal(t, viaFlag, viaHelp, "help %v is %v -h", topic, topic)
		assert.Contains(t, viaHelp, "Usage: checkoutkit "+topic[0])
	}
	code, out, _ = cli(t, nil, "", "help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "checkoutkit help [COMMAND]")
	code, _, errOut = cli(t, nil, "", "help", "nope")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `help: unknown command "nope"`)

	for _, args := range [][]string{{"token", "cartevo", "-bogus"}, {"fakes", "-bogus"}, {"decode", "-bogus"}, {"version", "-bogus"}} {
		code, out, errOut := cli(t, nil, "", args...)
		assert.Equal(t, 2, code, "%v", args)
		assert.Equal(t, 1, strings.Count(out+errOut, "flag provided but not defined"), "%v: the error once: %s", args, out+errOut)
		assert.Contains(t, errOut, "-h\" lists the flags")
	}
}

func TestVersionSaysWhereTheBinaryCameFrom(t *testing.T) {
	v := checkoutkit.Version
	for _, tc := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v" + v}},
			"checkoutkit " + v + " (module v" + v + ", go1.26.0)"},
		{&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.2.1-0.20261201203742-ce9cacf1a2b3+dirty"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "ce9cacf1a2b3c4d5e6f7"}, {Key: "vcs.time", Value: "2026-12-01T20:37:42Z"}, {Key: "vcs.modified", Value: "true"}}},
			"checkoutkit " + v + " (clone at ce9cacf1a2b3, 2026-12-01, local changes, go1.26.0)"},
		{&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}},
			"checkoutkit " + v + " (development build, go1.26.0)"},
		{nil, "checkoutkit " + v + " (development build)"},
	} {
		assert.Equal(t, tc.want, versionLine(tc.bi))
	}
}

// jwtWith is an unsigned-looking JWT whose claims segment is claims, raw.
func jwtWith(claims string) string {
	return "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".c2ln"
}

func TestDecodeSaysTimesInWords(t *testing.T) {
	now := time.Now()
	tok := jwtWith(`{"iat":` + strconv.FormatInt(now.AddDate(-3, 0, -2).Unix(), 10) + `,"exp":` + strconv.FormatInt(now.Add(59*time.Minute+30*time.Second).Unix(), 10) + `}`)
	code, out, _ := cli(t, nil, "", "decode", tok)
	require.Equal(t, 0, code)
	assert.Regexp(t, `issued:  \S+ \(3 years ago\)`, out)
	assert.Regexp(t, `expires:  \S+ \(in 59 minutes\)`, out)

	for _, tc := range []struct {
		d      time.Duration
		expiry bool
		want   string
	}{
		{-300 * time.Millisecond, false, "just now"},
		{300 * time.Millisecond, false, "just now"},
		{time.Second, true, "in 1 second"},
		{-2 * time.Second, false, "2 seconds ago"},
		{59 * time.Minute, true, "in 59 minutes"},
		{59*time.Minute + 59*time.Second, true, "in 59 minutes"},
		{59*time.Minute + 59*time.Second + 600*time.Millisecond, true, "in 1 hour"},
		{time.Hour, true, "in 1 hour"},
		{2*time.Hour - time.Second, true, "in 1 hour 59 minutes"},
		{-90 * time.Minute, true, "expired 1 hour 30 minutes ago"},
		{-36 * time.Hour, false, "36 hours ago"},
		{45 * 24 * time.Hour, true, "in 45 days"},
		{-200 * 24 * time.Hour, true, "expired 6 months ago"},
		{-26709*time.Hour - 34*time.Minute - 48*time.Second, true, "expired 3 years ago"}, // the "expired 26709h34m48s ago"
		{-(3*365*24*time.Hour + 70*24*time.Hour), false, "3 years ago"},
	} {
		assert.Equal(t, tc.want, relative(tc.d, tc.expiry), "%v", tc.d)
	}
}

func TestDecodeEscapesTerminalControls(t *testing.T) {
	// C1 CSI (U+009B, an escape sequence on its own), U+202E (right-to-left
	// override), DEL raw inside strings, and a CR after the JSON (json.Indent
	// keeps trailing white space).
	claims := "{\"sub\":\"a\u009b2Jb\",\"name\":\"\u202egnp.exe\",\"x\":\"\x7f\",\"tag\":\"\U000e0041\",\"exp\":1}\r"
	code, out, _ := cli(t, nil, "", "decode", jwtWith(claims))
	require.Equal(t, 0, code, out)
	for _, raw := range []string{"\u009b", "\u202e", "\x7f", "\r", "\U000e0041"} {
		assert.NotContains(t, out, raw, "%q reaches the terminal raw", raw)
	}
	for _, esc := range []string{`"a\u009b2Jb"`, `"\u202egnp.exe"`, `"\u007f"`, `"\udb40\udc41"`} {
		assert.Contains(t, out, esc)
	}
	// Bytes that are not UTF-8 come out as U+FFFD's escape.
	code, out, _ = cli(t, nil, "", "decode", jwtWith("{\"sub\":\"\xff\xfe\",\"exp\":1}"))
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, `"\ufffd\ufffd"`)
}

func TestFakesEnvFileIsWholeOnceAllListenAndGoneAfter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fakes.env")
	env, stderr, stop := startFakes(t, "-port", "0", "-env-file", path)
	assert.Empty(t, env, "with -env-file the lines go to the file, not to standard output")
	b, err := os.ReadFile(path)
	require.NoError(t, err, "the file exists by the time fakes says it serves")
	fileEnv := exports(t, string(b))
	for _, k := range []string{"CARTEVO_BASE_URL", "CROVVER_BASE_URL", "APPSTLE_BASE_URL", "ALTPAY_BASE_URL", "CROVVER_TENANT_ID",
		"APPSTLE_CUSTOMER_EMAIL", "ALTPAY_CUSTOMER_ID", "ALTPAY_INVOICE_ID", "CHECKOUTKIT_FAKES_PID"} {
		assert.NotEmpty(t, fileEnv[k], k)
	}
	assert.True(t, strings.HasSuffix(string(b), "export CHECKOUTKIT_FAKES_PID="+strconv.Itoa(os.Getpid())+"\n"), "complete")
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "no temporary file left beside it")
	assert.Contains(t, stderr.String(), "wrote "+path)
	for _, base := range []string{fileEnv["CROVVER_BASE_URL"] + "/pricing", fileEnv["ALTPAY_BASE_URL"] + "/v1/checkout/pay"} {
		resp, err := http.Get(base)
		require.NoError(t, err, "every fake listens once the file is there")
		resp.Body.Close()
	}
	http.DefaultClient.CloseIdleConnections()

	require.Equal(t, 0, stop())
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err), "fakes removes its file when it stops, so none points at closed ports")

	code, _, errOut := cli(t, nil, "", "fakes", "-port", "0", "-env-file", filepath.Join(dir, "no", "such", "dir", "f.env"))
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "-env-file")
}

func TestFakesAllowBrowserOrigins(t *testing.T) {
	preflight := func(t *testing.T, url, origin string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodOptions, url, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	defer http.DefaultClient.CloseIdleConnections()

	t.Run("default: any loopback origin", func(t *testing.T) {
		env, _, _ := startFakes(t, "-port", "0")
		pay := env["ALTPAY_BASE_URL"] + "/v1/checkout/pay"
		for _, origin := range []string{"http://127.0.0.1:8080", "http://localhost:3000", "http://[::1]:5173"} {
			resp := preflight(t, pay, origin)
			assert.Equal(t, http.StatusNoContent, resp.StatusCode)
			assert.Equal(t, origin, resp.Header.Get("Access-Control-Allow-Origin"), origin)
			assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
			assert.Equal(t, "authorization, content-type", resp.Header.Get("Access-Control-Allow-Headers"))
		}
		for _, origin := range []string{"https://evil.example", "http://127.0.0.1.evil.example", "null", "http://localhost.evil.example:3000"} {
			resp := preflight(t, pay, origin)
			assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), origin)
		}
		// The real call carries the header too, on every fake.
		req, _ := http.NewRequest(http.MethodPost, pay, nil)
		req.Header.Set("Origin", "http://localhost:3000")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Equal(t, "http://localhost:3000", resp.Header.Get("Access-Control-Allow-Origin"))
		resp = preflight(t, env["CROVVER_BASE_URL"]+"/api/public/auth/checkout-token", "http://localhost:3000")
		assert.Equal(t, "http://localhost:3000", resp.Header.Get("Access-Control-Allow-Origin"), "crovver-react calls Crovver from the page")
	})

	t.Run("-allow-origin names them", func(t *testing.T) {
		env, _, _ := startFakes(t, "-port", "0", "-allow-origin", "https://shop.example", "-allow-origin", "http://localhost:3000")
		pay := env["ALTPAY_BASE_URL"] + "/v1/checkout/pay"
		assert.Equal(t, "https://shop.example", preflight(t, pay, "https://shop.example").Header.Get("Access-Control-Allow-Origin"))
		assert.Equal(t, "http://localhost:3000", preflight(t, pay, "http://localhost:3000").Header.Get("Access-Control-Allow-Origin"))
		assert.Empty(t, preflight(t, pay, "http://127.0.0.1:8080").Header.Get("Access-Control-Allow-Origin"), "only the origins named")
	})

	code, _, errOut := cli(t, nil, "", "fakes", "-allow-origin", "https://shop.example/path")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "want scheme://host[:port]")
}

func TestFakesOnEveryInterfaceWarnAndPrintUsableURLs(t *testing.T) {
	env, stderr, _ := startFakes(t, "-host", "0.0.0.0", "-port", "0")
	assert.Contains(t, stderr.String(), "warning: -host 0.0.0.0 is not a loopback address")
	for _, k := range []string{"CARTEVO_BASE_URL", "CROVVER_BASE_URL", "APPSTLE_BASE_URL", "ALTPAY_BASE_URL", "APPSTLE_SHOP"} {
		assert.True(t, strings.HasPrefix(env[k], "http://127.0.0.1:"), "%s=%s", k, env[k])
	}
	// The SDK accepts them, and so the page URLs the fakes build.
	for _, args := range [][]string{{"token", "cartevo"}, {"token", "crovver", "-portal"}, {"token", "appstle"}, {"token", "altpay", "-customer", "c", "-invoice", "i"}} {
		code, _, errOut := cli(t, env, "", args...)
		assert.Equal(t, 0, code, "%v: %s", args, errOut)
	}

	if l, err := listenV6(); err == nil {
		l.Close()
		env, stderr, _ := startFakes(t, "-host", "::", "-port", "0", "-only", "crovver")
		assert.Contains(t, stderr.String(), "warning: -host ::")
		assert.True(t, strings.HasPrefix(env["CROVVER_BASE_URL"], "http://[::1]:"), env["CROVVER_BASE_URL"])
		code, _, errOut := cli(t, env, "", "token", "crovver", "-portal")
		assert.Equal(t, 0, code, errOut)
	}

	_, stderr, _ = startFakes(t, "-host", "localhost", "-port", "0", "-only", "cartevo")
	assert.NotContains(t, stderr.String(), "warning")
}

func listenV6() (interface{ Close() error }, error) { return netListen("tcp6", "[::1]:0") }

// A provider's error message reaches the terminal escaped: a hostile
// server named in *_BASE_URL cannot reorder or recolour what is printed.
func TestErrorsFromAServerAreEscaped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte("{\"success\":false,\"data\":null,\"error\":{\"code\":\"BAD\",\"message\":\"nope \u202eliated\u009b31m\"}}"))
	}))
	defer srv.Close()
	code, out, errOut := cli(t, map[string]string{"CROVVER_PUBLIC_KEY": "pk_x", "CROVVER_TENANT_ID": "t", "CROVVER_BASE_URL": srv.URL}, "", "token", "crovver")
	assert.Equal(t, 1, code)
	for _, raw := range []string{"\u202e", "\u009b"} {
		assert.NotContains(t, out+errOut, raw)
	}
	assert.Contains(t, errOut, "checkoutkit: ")
	assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line")
}
