package main

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFakesNotFrozenByAStalledClient: a local process that sends half a
// request to "checkoutkit fakes" does not stall another client's mint
// (issue 20, item 12; the servers also cut such clients off, see
// internal/fakesrv).
func TestFakesNotFrozenByAStalledClient(t *testing.T) {
	port := freePorts(t, 4)
	env, _, stop := startFakes(t, "-port", strconv.Itoa(port))
	defer stop()
	for _, target := range []string{
		env["CARTEVO_BASE_URL"] + "/auth/token",
		env["CROVVER_BASE_URL"] + "/api/public/auth/checkout-token",
		env["ALTPAY_BASE_URL"] + "/oauth/token",
	} {
		u, err := url.Parse(target)
		require.NoError(t, err)
		conn, err := net.Dial("tcp", u.Host)
		require.NoError(t, err)
		defer conn.Close()
		_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"", u.Path, u.Host)
		require.NoError(t, err)
	}
	time.Sleep(50 * time.Millisecond)
	for _, args := range [][]string{{"token", "cartevo"}, {"token", "crovver", "-tenant", "acme"}, {"token", "altpay"}} {
		start := time.Now()
		code, _, errs := cli(t, env, "", args...)
		require.Equal(t, exitOK, code, "%v: %s", args, errs)
		require.Less(t, time.Since(start), 2*time.Second, args)
	}
}
