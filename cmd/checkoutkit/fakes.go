package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
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

// The ready-made ids the fakes export, so that every token example works
// on them as printed.
const (
	// demoTenant is a Crovver tenant the fake starts with, subscribed to
	// demoPlan, so that portal tokens can be minted for it at once.
	demoTenant = "demo-tenant"
	demoPlan   = "pro"
	// demoCustomer and demoInvoice are what a checkout token is minted
	// for (the Alternative Payments fake accepts any ids).
	demoCustomer = "cus_demo"
	demoInvoice  = "inv_demo"
	// demoContract is the Appstle customer's active subscription contract,
	// which the fake's customer portal lists.
	demoContract = 1001
)

// defaultPort is -port's default without $CHECKOUTKIT_FAKES_PORT.
const defaultPort = 7400

// readyFDVar names the file descriptor a detached fakes process reports on
// (see detach.go).
const readyFDVar = "CHECKOUTKIT_FAKES_READY_FD"

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
		s := crovvertest.NewServer(crovvertest.WithListener(l), crovvertest.WithSubscription(demoTenant, demoPlan), wh.crovver())
		return fake{name, s.Close, [][2]string{
			{"CROVVER_PUBLIC_KEY", crovvertest.PublicKey}, {"CROVVER_BASE_URL", s.URL()},
			{"CROVVER_TENANT_ID", demoTenant},
		}, s.URL()}
	case "appstle":
		s := appstletest.NewServer(appstletest.WithListener(l), appstletest.WithContract(appstletest.CustomerID, demoContract), wh.appstle())
		// The fake serves the customer portal itself: its loopback origin
		// stands in for the shop's domain.
		return fake{name, s.Close, [][2]string{
			{"APPSTLE_API_KEY", appstletest.APIKey}, {"APPSTLE_BASE_URL", s.URL()}, {"APPSTLE_SHOP", s.URL()},
			{"APPSTLE_CUSTOMER_ID", strconv.Itoa(appstletest.CustomerID)}, {"APPSTLE_CUSTOMER_EMAIL", appstletest.Email},
		}, s.URL()}
	default:
		s := altpaytest.NewServer(altpaytest.WithListener(l), wh.altpay())
		return fake{name, s.Close, [][2]string{
			{"ALTPAY_CLIENT_ID", altpaytest.ClientID}, {"ALTPAY_CLIENT_SECRET", altpaytest.ClientSecret}, {"ALTPAY_BASE_URL", s.URL()},
			{"ALTPAY_CUSTOMER_ID", demoCustomer}, {"ALTPAY_INVOICE_ID", demoInvoice},
		}, s.URL()}
	}
}

// fakesExample is the help text's example; a test runs each line in bash.
const fakesExample = `  eval "$(checkoutkit fakes -detach)"       # serve the four fakes in the background, export their variables
  checkoutkit token crovver -portal          # the fakes' own tenant, customer and invoice are exported too
  kill "$CHECKOUTKIT_FAKES_PID"              # stop them

  checkoutkit fakes -env-file fakes.env &    # or as a job of this shell: the file appears once all listen
  while [ ! -f fakes.env ] && kill -0 $! 2>/dev/null; do sleep 0.1; done; . ./fakes.env
  checkoutkit token appstle -email "$APPSTLE_CUSTOMER_EMAIL"
  kill "$CHECKOUTKIT_FAKES_PID"              # stop them (this removes fakes.env)`

const fakesSynopsis = "fakes [-host 127.0.0.1] [-port 7400] [-only PROVIDER] [-env-file FILE] [-detach] [-allow-origin ORIGIN] [-webhook-url URL -webhook-secret S]"

// fakesOptions are the fakes command's flags.
type fakesOptions struct {
	host, only, envFile, log string
	port                     int
	detach                   bool
	origins                  []string
	webhooks                 *webhookFlags
}

func fakesFlags(e env) (*flag.FlagSet, *fakesOptions) {
	fs := newFlags("fakes", fakesSynopsis, fakesExample, e)
	o := &fakesOptions{}
	fs.StringVar(&o.host, "host", "127.0.0.1", "address to listen on; anything but loopback lets other machines mint with the fakes' published credentials")
	fs.IntVar(&o.port, "port", defaultPort, "port of the first fake; the others follow (0: any free ports); $CHECKOUTKIT_FAKES_PORT, when set, replaces the default")
	fs.StringVar(&o.only, "only", "", "serve one provider: "+strings.Join(providers, ", "))
	fs.StringVar(&o.envFile, "env-file", "", "also write the export lines to `FILE`, atomically once every fake listens; removed when fakes stops")
	fs.BoolVar(&o.detach, "detach", false, "serve from a background process and return once every fake listens (stop it: kill \"$CHECKOUTKIT_FAKES_PID\")")
	fs.StringVar(&o.log, "log", "", "with -detach: append the request log to `FILE` (default: discarded)")
	fs.Func("allow-origin", "a browser `ORIGIN` allowed to call the fakes (CORS), e.g. http://localhost:3000; repeatable (default: any http loopback origin)", func(v string) error {
		if !validOrigin(v) {
			return fmt.Errorf("want scheme://host[:port], got %q", v)
		}
		o.origins = append(o.origins, v)
		return nil
	})
	o.webhooks = webhookFlagsOf(fs)
	return fs, o
}

func runFakes(ctx context.Context, args []string, e env) (err error) {
	// A detached fakes process reports its start (or its failure) on a
	// pipe its parent reads; see detach.go.
	ready, err := readyPipe(e)
	if err != nil {
		return err
	}
	defer func() {
		if ready != nil {
			if err != nil {
				fmt.Fprintf(ready, "checkoutkit: %v\n", err)
			}
			ready.Close()
		}
	}()
	fs, o := fakesFlags(e)
	if p := e.getenv("CHECKOUTKIT_FAKES_PORT"); p != "" {
		n, perr := strconv.Atoi(p)
		if perr != nil {
			return usagef("CHECKOUTKIT_FAKES_PORT=%q: not a port", p)
		}
		o.port = n
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := o.webhooks.check(e, o.only == "" || o.only == "altpay"); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("fakes takes no arguments, got %q", fs.Arg(0))
	}
	names := providers
	if o.only != "" {
		if !slices.Contains(providers, o.only) {
			return usagef("-only: unknown provider %q (want one of %s)", o.only, strings.Join(providers, ", "))
		}
		names = []string{o.only}
	}
	if o.port < 0 || o.port+len(names)-1 > 65535 {
		return usagef("-port %d: out of range", o.port)
	}
	if o.log != "" && !o.detach && ready == nil {
		return usagef("-log goes with -detach (without it the log is on standard error)")
	}
	if !loopbackHost(o.host) {
		fmt.Fprintf(e.stderr, "checkoutkit: warning: -host %s is not a loopback address: any machine that reaches it can mint tokens with the fakes' published credentials\n", o.host)
	}
	if o.detach && ready == nil { // the detached child itself serves
		return detachFakes(args, o, e)
	}

	var running []fake
	defer func() {
		for _, f := range running {
			f.stop()
		}
	}()
	allowed := loopbackOrigin
	if len(o.origins) > 0 {
		allowed = func(origin string) bool { return slices.Contains(o.origins, origin) }
	}
	for i, name := range names {
		p := 0
		if o.port != 0 {
			p = o.port + i
		}
		l, err := net.Listen(network(o.host), net.JoinHostPort(o.host, strconv.Itoa(p)))
		if err != nil {
			return fmt.Errorf("%s fake: %w", name, err)
		}
		mw := func(h http.Handler) http.Handler { return cors(h, allowed) }
		running = append(running, startFake(name, fakesrv.Wrap(fakesrv.Logged(l, name, e.stderr), mw), *o.webhooks))
	}

	var out strings.Builder
	for _, f := range running {
		fmt.Fprintf(&out, "# %s fake at %s\n", f.name, f.url)
		for _, kv := range f.vars {
			fmt.Fprintf(&out, "export %s=%s\n", kv[0], shellQuote(kv[1]))
		}
	}
	fmt.Fprintf(&out, "# stop the fakes: kill \"$CHECKOUTKIT_FAKES_PID\"\nexport CHECKOUTKIT_FAKES_PID=%d\n", os.Getpid())
	if !loopbackHost(o.host) {
		fmt.Fprintf(e.stderr, "checkoutkit: the URLs name the address a client on this machine uses; from elsewhere use this machine's address (the SDK sends plain http only to loopback)\n")
	}
	if o.envFile != "" {
		if err := writeAtomic(o.envFile, out.String()); err != nil {
			return err
		}
		defer os.Remove(o.envFile)
		source := o.envFile
		if !strings.ContainsRune(source, filepath.Separator) {
			source = "./" + source // "." looks a bare name up in PATH
		}
		fmt.Fprintf(e.stderr, "checkoutkit: wrote %s (. %s exports the variables)\n", o.envFile, source)
	}
	if ready != nil {
		fmt.Fprint(ready, out.String())
		ready.Close()
		ready = nil
	} else if o.envFile == "" {
		fmt.Fprint(e.stdout, out.String())
	}
	fmt.Fprintf(e.stderr, "checkoutkit: %d fake(s) serving; Ctrl-C stops\n", len(running))
	<-ctx.Done()
	fmt.Fprintln(e.stderr, "checkoutkit: stopping")
	return nil
}

// writeAtomic writes content to path through a temporary file in the same
// directory and a rename: a reader sees no file or the whole of it.
func writeAtomic(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("-env-file: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return fmt.Errorf("-env-file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("-env-file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("-env-file: %w", err)
	}
	return nil
}

// network is "tcp4" for an IPv4 -host (0.0.0.0 then listens on IPv4, and
// the URLs name 127.0.0.1), else "tcp".
func network(host string) string {
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		return "tcp4"
	}
	return "tcp"
}

// loopbackHost reports whether host (a -host value) listens on loopback
// only.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
