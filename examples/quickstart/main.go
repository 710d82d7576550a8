// Command quickstart shows checkoutkit's main job, provider by provider:
// mint a token, serve it from the cache, share one mint among a herd of
// callers, and recover from a token the provider stops accepting.
//
//	go run ./examples/quickstart
//
// With no credentials in the environment every provider runs against its
// in-process fake (package <provider>test), so this works offline. Set a
// provider's credentials to talk to the real API instead (or, with the
// *_BASE_URL variables, to any host: `eval "$(checkoutkit fakes -detach)"`
// points every provider at the fakes served by cmd/checkoutkit):
//
//	CARTEVO_CLIENT_ID, CARTEVO_CLIENT_KEY (and optionally CARTEVO_BASE_URL)
//	CROVVER_PUBLIC_KEY (and optionally CROVVER_BASE_URL; CROVVER_TENANT_ID, a subscribed tenant, adds a portal token)
//	APPSTLE_API_KEY, APPSTLE_CUSTOMER_ID, APPSTLE_SHOP (and optionally APPSTLE_BASE_URL)
//	ALTPAY_CLIENT_ID, ALTPAY_CLIENT_SECRET (and optionally ALTPAY_BASE_URL; default: demo;
//	    ALTPAY_CUSTOMER_ID and ALTPAY_INVOICE_ID add a checkout token)
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// section is one provider's walk-through.
type section struct {
	name string
	run  func(ctx context.Context, out *printer, getenv func(string) string) error
}

var sections = []section{
	{"cartevo", runCartevo},
	{"crovver", runCrovver},
	{"appstle", runAppstle},
	{"altpay", runAltpay},
}

func run(ctx context.Context, w io.Writer, getenv func(string) string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out := &printer{w: w}
	out.line("checkoutkit quickstart")
	for _, s := range sections {
		out.line("")
		if err := s.run(ctx, out, getenv); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// where says what base is, for a section's title: the fakes of
// "checkoutkit fakes" (which export CHECKOUTKIT_FAKES_PID), another
// server on this machine, or the live API.
func where(base string, getenv func(string) string) string {
	u, err := url.Parse(base)
	if err == nil {
		host := u.Hostname()
		ip := net.ParseIP(host)
		if strings.EqualFold(host, "localhost") || (ip != nil && ip.IsLoopback()) {
			if getenv("CHECKOUTKIT_FAKES_PID") != "" {
				return "checkoutkit fakes at " + base
			}
			return "local server at " + base
		}
	}
	return "live: " + base
}

// labelWidth is the label column's width; every label fits in it.
const labelWidth = 24

// printer writes aligned "label  text" lines.
type printer struct{ w io.Writer }

func (p *printer) line(format string, args ...any) {
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *printer) step(label, format string, args ...any) {
	fmt.Fprintf(p.w, "  %-*s %s\n", labelWidth, label, fmt.Sprintf(format, args...))
}
