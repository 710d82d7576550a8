package main

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
	"github.com/checkoutkit/checkoutkit/internal/fakesrv"
)

// providers in port order: cartevo on -port, crovver on -port+1, ...
var providers = []string{"cartevo", "crovver", "appstle", "altpay"}

// fake is one running fake: how to stop it, and the variables that point
// a client at it.
type fake struct {
	name string
	stop func()
	vars [][2]string
	url  string
}

// startFake serves one provider's fake on l, delivering its webhooks to
// wh.url (if set) signed with wh.secret.
func startFake(name string, l net.Listener, wh webhookFlags) fake {
	f := startFakeServer(name, l, wh)
	f.vars = append(f.vars, webhookFakeVars(name, wh.url, wh.secret)...)
	return f
}

func startFakeServer(name string, l net.Listener, wh webhookFlags) fake {
	switch name {
	case "cartevo":
		s := cartevotest.NewServer(cartevotest.WithListener(l), wh.cartevo())
		return fake{name, s.Close, [][2]string{
			{"CARTEVO_CLIENT_ID", cartevotest.ClientID}, {"CARTEVO_CLIENT_KEY", cartevotest.ClientKey}, {"CARTEVO_BASE_URL", s.URL()},
		}, s.URL()}
	case "crovver":
		s := crovvertest.NewServer(crovvertest.WithListener(l), wh.crovver())
		return fake{name, s.Close, [][2]string{
			{"CROVVER_PUBLIC_KEY", crovvertest.PublicKey}, {"CROVVER_BASE_URL", s.URL()},
		}, s.URL()}
	case "appstle":
		s := appstletest.NewServer(appstletest.WithListener(l), wh.appstle())
		// The fake serves the customer portal itself: its loopback origin
		// stands in for the shop's domain.
		return fake{name, s.Close, [][2]string{
			{"APPSTLE_API_KEY", appstletest.APIKey}, {"APPSTLE_CUSTOMER_ID", strconv.Itoa(appstletest.CustomerID)},
			{"APPSTLE_SHOP", s.URL()}, {"APPSTLE_BASE_URL", s.URL()},
		}, s.URL()}
	default:
		s := altpaytest.NewServer(altpaytest.WithListener(l), wh.altpay())
		return fake{name, s.Close, [][2]string{
			{"ALTPAY_CLIENT_ID", altpaytest.ClientID}, {"ALTPAY_CLIENT_SECRET", altpaytest.ClientSecret}, {"ALTPAY_BASE_URL", s.URL()},
		}, s.URL()}
	}
}

func runFakes(ctx context.Context, args []string, e env) error {
	fs := newFlags("fakes", "fakes [-host 127.0.0.1] [-port 7400] [-only PROVIDER]",
		`  eval "$(checkoutkit fakes &)"     # serve the four fakes on 7400-7403, export their variables
  checkoutkit fakes -only crovver -port 9000`, e)
	host := fs.String("host", "127.0.0.1", "address to listen on (loopback unless you mean otherwise)")
	port := fs.Int("port", 7400, "port of the first fake; the others follow (0: any free ports)")
	only := fs.String("only", "", "serve one provider: "+strings.Join(providers, ", "))
	wh := webhookFlagsOf(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := wh.check(e); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("fakes takes no arguments, got %q", fs.Arg(0))
	}
	names := providers
	if *only != "" {
		if !slices.Contains(providers, *only) {
			return usagef("-only: unknown provider %q (want one of %s)", *only, strings.Join(providers, ", "))
		}
		names = []string{*only}
	}
	if *port < 0 || *port+len(names)-1 > 65535 {
		return usagef("-port %d: out of range", *port)
	}

	var running []fake
	defer func() {
		for _, f := range running {
			f.stop()
		}
	}()
	for i, name := range names {
		p := 0
		if *port != 0 {
			p = *port + i
		}
		l, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(p)))
		if err != nil {
			return fmt.Errorf("%s fake: %w", name, err)
		}
		running = append(running, startFake(name, fakesrv.Logged(l, name, e.stderr), *wh))
	}
	for _, f := range running {
		fmt.Fprintf(e.stdout, "# %s fake at %s\n", f.name, f.url)
		for _, kv := range f.vars {
			fmt.Fprintf(e.stdout, "export %s=%s\n", kv[0], shellQuote(kv[1]))
		}
	}
	fmt.Fprintf(e.stderr, "checkoutkit: %d fake(s) serving; Ctrl-C stops\n", len(running))
	<-ctx.Done()
	fmt.Fprintln(e.stderr, "checkoutkit: stopping")
	return nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
