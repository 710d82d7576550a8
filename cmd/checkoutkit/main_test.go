package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var netListen = net.Listen

// lockedBuffer collects a running command's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// cli runs one command line in-process.
func cli(t *testing.T, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// freePorts finds n consecutive free loopback ports.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		first := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ok := first+n-1 <= 65535
		for p := first; ok && p < first+n; p++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return first
		}
	}
	t.Fatal("no run of free ports")
	return 0
}

// exports parses the export lines fakes prints.
func exports(t *testing.T, out string) map[string]string {
	t.Helper()
	env := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		env[k] = strings.Trim(v, "'")
	}
	return env
}

// startFakes runs "checkoutkit fakes" until stop is called, and returns the
// variables it printed.
func startFakes(t *testing.T, args ...string) (env map[string]string, stderr *lockedBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	stderr = &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"fakes"}, args...), func(string) string { return "" }, nil, &out, stderr)
	}()
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "serving") }, 10*time.Second, 5*time.Millisecond)
	var once sync.Once
	code := 0
	stop = func() int {
		once.Do(func() { cancel(); code = <-done })
		return code
	}
	t.Cleanup(func() { stop() })
	return exports(t, out.String()), stderr, stop
}

func TestFakesServeRealHTTPOnConsecutivePorts(t *testing.T) {
	port := freePorts(t, 4)
	env, stderr, stop := startFakes(t, "-port", strconv.Itoa(port))
	assert.Equal(t, "http://127.0.0.1:"+strconv.Itoa(port)+"/api/v1", env["CARTEVO_BASE_URL"])
	assert.Equal(t, "http://127.0.0.1:"+strconv.Itoa(port+1), env["CROVVER_BASE_URL"])
	assert.Equal(t, "http://127.0.0.1:"+strconv.Itoa(port+2), env["APPSTLE_BASE_URL"])
	assert.Equal(t, "http://127.0.0.1:"+strconv.Itoa(port+3), env["ALTPAY_BASE_URL"])
	assert.Equal(t, cartevotest.ClientKey, env["CARTEVO_CLIENT_KEY"])
	assert.Equal(t, crovvertest.PublicKey, env["CROVVER_PUBLIC_KEY"])
	assert.Equal(t, appstletest.APIKey, env["APPSTLE_API_KEY"])
	assert.Equal(t, altpaytest.ClientSecret, env["ALTPAY_CLIENT_SECRET"])

	// token, against the fakes through the exported variables.
	for _, args := range [][]string{
		{"token", "cartevo"},
		{"token", "altpay"},
		{"token", "altpay", "-customer", "cus_1", "-invoice", "inv_1"},
		{"token", "altpay", "-customer", env["ALTPAY_CUSTOMER_ID"], "-invoice", env["ALTPAY_INVOICE_ID"]},
		{"token", "crovver", "-tenant", "acme"},
		{"token", "crovver"},            // the exported CROVVER_TENANT_ID
		{"token", "crovver", "-portal"}, // ... is subscribed
		{"token", "appstle"},
		{"token", "appstle", "-email", appstletest.Email},
		{"token", "appstle", "-email", env["APPSTLE_CUSTOMER_EMAIL"]},
	} {
		code, out, errOut := cli(t, env, "", args...)
		require.Equal(t, 0, code, "%v: %s", args, errOut)
		assert.Contains(t, out, "provider:  "+args[1])
		assert.Regexp(t, `expires:   \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in \d`, out)
		assert.Contains(t, out, "token:     [redacted, ")
		assert.NotContains(t, out, "eyJ", "the token is not printed")
	}

	// -show prints the raw token alone, and it works against the API.
	code, raw, _ := cli(t, env, "", "token", "cartevo", "-show")
	require.Equal(t, 0, code)
	req, _ := http.NewRequest(http.MethodGet, env["CARTEVO_BASE_URL"]+"/wallets", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(raw))
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 1, strings.Count(raw, "\n"))

	// decode reads it from stdin.
	code, out, _ := cli(t, nil, raw, "decode", "-")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "NOT VERIFIED")
	assert.Contains(t, out, `"clientId": "`+cartevotest.ClientID+`"`)
	assert.Regexp(t, `expires:  \S+ \(in (1 hour|59 minutes)\)`, out)

	// The request log names method, path and status, never a credential.
	logs := stderr.String()
	assert.Contains(t, logs, "cartevo  POST /api/v1/auth/token 200")
	assert.Contains(t, logs, "cartevo  GET /api/v1/wallets 200")
	assert.Contains(t, logs, "crovver  POST /api/public/auth/portal-token 201")
	for _, secret := range []string{cartevotest.ClientKey, crovvertest.PublicKey, appstletest.APIKey, altpaytest.ClientSecret,
		base64.StdEncoding.EncodeToString([]byte(altpaytest.ClientID + ":" + altpaytest.ClientSecret)), appstletest.Email, strings.TrimSpace(raw)} {
		assert.NotContains(t, logs, secret)
	}

	assert.Equal(t, 0, stop(), "a stop is a clean exit")
	_, err = net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	assert.Error(t, err, "the ports are closed")
}

func TestFakesOnlyOne(t *testing.T) {
	port := freePorts(t, 1)
	env, _, _ := startFakes(t, "-only", "crovver", "-port", strconv.Itoa(port))
	assert.Equal(t, "http://127.0.0.1:"+strconv.Itoa(port), env["CROVVER_BASE_URL"])
	assert.NotContains(t, env, "CARTEVO_BASE_URL")
}

// The real signal path: main's signal.NotifyContext stops fakes on SIGINT.
// The test catches SIGINT itself first, so the test binary never dies of it.
func TestFakesStopOnSIGINT(t *testing.T) {
	caught := make(chan os.Signal, 1)
	signal.Notify(caught, os.Interrupt)
	defer signal.Stop(caught)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"fakes", "-port", "0"}, func(string) string { return "" }, nil, &out, &errb)
	}()
	require.Eventually(t, func() bool { return strings.Contains(errb.String(), "serving") }, 10*time.Second, 5*time.Millisecond)
	base := exports(t, out.String())["CROVVER_BASE_URL"]
	resp, err := http.Get(base + "/pricing")
	require.NoError(t, err)
	resp.Body.Close()
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(10 * time.Second):
		t.Fatal("fakes did not stop on SIGINT")
	}
	assert.Contains(t, errb.String(), "stopping")
	http.DefaultClient.CloseIdleConnections()
}

func TestUsageAndErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		code int
		want string
	}{
		{nil, nil, 2, "Usage:"},
		{[]string{"nope"}, nil, 2, `unknown command "nope"`},
		{[]string{"token"}, nil, 2, "token needs a provider"},
		{[]string{"token", "stripe"}, nil, 2, `unknown provider "stripe"`},
		{[]string{"token", "cartevo", "-bogus"}, nil, 2, "flag provided but not defined: -bogus"},
		{[]string{"token", "cartevo"}, nil, 1, "CARTEVO_CLIENT_ID is not set"},
		{[]string{"token", "cartevo"}, map[string]string{"CARTEVO_CLIENT_ID": "id"}, 1, "CARTEVO_CLIENT_KEY is not set"},
		{[]string{"token", "altpay"}, map[string]string{"ALTPAY_CLIENT_ID": "id"}, 1, "ALTPAY_CLIENT_SECRET is not set"},
		{[]string{"token", "crovver"}, map[string]string{"CROVVER_PUBLIC_KEY": "pk"}, 1, "CROVVER_TENANT_ID is not set (or pass -tenant)"},
		{[]string{"token", "appstle"}, map[string]string{"APPSTLE_API_KEY": "k"}, 1, "appstle needs -customer"},
		{[]string{"token", "cartevo", "-base-url", "http://example.com"}, map[string]string{"CARTEVO_CLIENT_ID": "id", "CARTEVO_CLIENT_KEY": "ck_secret_123"}, 1, "http is allowed only for loopback"},
		{[]string{"decode"}, nil, 2, "decode takes one token"},
		{[]string{"decode", "abc"}, nil, 1, "not a JWT"},
		{[]string{"decode", "YWJj.YWJj.c2ln"}, nil, 1, "not a JWT: the header is not JSON"},
		{[]string{"fakes", "-only", "stripe"}, nil, 2, `unknown provider "stripe"`},
		{[]string{"fakes", "extra"}, nil, 2, "fakes takes no arguments"},
	} {
		code, out, errOut := cli(t, tc.env, "", tc.args...)
		assert.Equal(t, tc.code, code, "%v", tc.args)
		assert.Contains(t, out+errOut, tc.want, "%v", tc.args)
		assert.NotContains(t, out+errOut, "ck_secret_123")
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, args := range [][]string{{"fakes", "-h"}, {"token", "-h"}, {"token", "cartevo", "-h"}, {"token", "crovver", "-h"}, {"decode", "-h"}, {"-h"}} {
		code, out, errOut := cli(t, nil, "", args...)
		assert.Equal(t, 0, code, "%v", args)
		help := out + errOut
		assert.Contains(t, help, "Usage", "%v", args)
		if args[0] != "-h" {
			assert.Contains(t, help, "Example:", "%v", args)
		}
	}
	_, out, errOut := cli(t, nil, "", "token", "crovver", "-h")
	assert.Contains(t, out+errOut, "-tenant")
}

func TestVersion(t *testing.T) {
	code, out, _ := cli(t, nil, "", "version")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "checkoutkit "+checkoutkit.Version+" "), out)
}

func TestDecodeExpired(t *testing.T) {
	claims := base64.RawURLEncoding.EncodeToString([]byte(`{"exp":` + strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10) + `}`))
	tok := "eyJhbGciOiJIUzI1NiJ9." + claims + ".sig"
	code, out, _ := cli(t, nil, "", "decode", tok)
	require.Equal(t, 0, code)
	assert.Regexp(t, `expires:  \S+ \(expired 1 hour ago\)`, out)
	_ = io.Discard
}
