// Command storefront is a small web app that uses every browser flow of
// checkoutkit, the way a product would:
//
//   - Upgrade: crovver.RedirectHandler sends the user to Crovver's pricing
//     page and back; the dashboard then shows the new plan.
//   - Billing: crovver.PortalRedirectHandler opens Crovver's billing portal.
//   - Manage subscription: appstle.PortalRedirectHandler opens the
//     customer's Appstle portal.
//   - Pay invoice: a page whose script does what Alternative Payments' web
//     SDK does: it gets a checkout token from altpay.RefreshHandler, pays
//     with it, and when the token has expired asks for a new one once and
//     retries.
//
// Run it with no credentials and it starts the four fakes in-process on
// loopback:
//
//	go run ./examples/storefront            # then open http://127.0.0.1:8080
//	go run ./examples/storefront -addr 127.0.0.1:9000
//
// With a provider's credentials in the environment (the quickstart's
// variables: CROVVER_PUBLIC_KEY, APPSTLE_API_KEY with APPSTLE_SHOP and
// APPSTLE_CUSTOMER_ID, ALTPAY_CLIENT_ID and ALTPAY_CLIENT_SECRET with
// ALTPAY_CUSTOMER_ID and ALTPAY_INVOICE_ID) it uses the real provider, and
// the *_BASE_URL variables (what `checkoutkit fakes` prints) point it at
// another host. On `checkoutkit fakes -webhook-url
// 'http://127.0.0.1:8080/webhooks/{provider}' -webhook-secret S` the
// fakes' webhooks reach its receivers, checked with the
// CROVVER_WEBHOOK_SECRET and ALTPAY_WEBHOOK_SECRET the fakes export.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "storefront:", err)
		os.Exit(1)
	}
}

// How long a client may take to send a whole request, and keep a
// connection open idle between requests. (Variables for the tests.)
var readTimeout, idleTimeout = 30 * time.Second, 2 * time.Minute

// run serves the app on addr until ctx ends.
func run(ctx context.Context, addr string, getenv func(string) string, out io.Writer) error {
	return serve(ctx, addr, getenv, out, nil)
}

// serve is run; ready, when not nil, gets the app once it listens.
func serve(ctx context.Context, addr string, getenv func(string) string, out io.Writer, ready func(*App), opts ...appOption) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	origin := "http://" + ln.Addr().String()
	app, err := NewApp(origin, getenv, out, opts...)
	if err != nil {
		ln.Close()
		return err
	}
	defer app.Close()
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: readTimeout, IdleTimeout: idleTimeout}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(out, "storefront: open %s (sign in as %s)\n", origin, demoUser.Name)
	if ready != nil {
		ready(app)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
