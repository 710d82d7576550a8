// Command checkoutkit runs the SDK's provider fakes as servers, mints a token
// with the credentials in the environment, and decodes JWTs.
//
// Install it with
//
//	go install github.com/checkoutkit/checkoutkit/cmd/checkoutkit@latest
//
// or, in a clone, go install ./cmd/checkoutkit ("checkoutkit version" then
// says "clone at <commit>" instead of "module v0.x.y").
//
// Subcommands:
//
//	checkoutkit fakes [-host 127.0.0.1] [-port 7400] [-only PROVIDER] [-env-file FILE] [-detach] [-allow-origin ORIGIN] [-webhook-url URL -webhook-secret S]
//	    Serve the four fakes (cartevo, crovver, appstle, altpay) on
//	    consecutive ports and print export lines: credentials the fakes
//	    accept, CARTEVO_BASE_URL, CROVVER_BASE_URL, APPSTLE_BASE_URL,
//	    ALTPAY_BASE_URL, a ready tenant (subscribed), customer and invoice,
//	    and CHECKOUTKIT_FAKES_PID. -env-file writes them to a file,
//	    atomically once every fake listens; -detach serves from a
//	    background process and returns once every fake listens. Browsers
//	    on loopback origins (or the -allow-origin ones) may call them.
//	    Requests are logged on stderr (method, path, status; never a
//	    credential). SIGINT or SIGTERM stops.
//
//	checkoutkit token cartevo|altpay|crovver|appstle [flags]
//	    Mint one token with the credentials (and base URL) from the
//	    environment; print provider, expiry, time left and the token
//	    redacted, or with -show the raw token alone.
//
//	checkoutkit decode TOKEN|-
//	    Print a JWT's header, claims and time to expiry, without verifying
//	    its signature; control characters are escaped.
//
//	checkoutkit webhook send -provider P -url URL -secret S [-event TYPE] [-data FILE]
//	    Sign one webhook delivery exactly as the provider does (crovver,
//	    appstle, altpay, cartevo) and post it to URL: the "stripe trigger"
//	    of this SDK. The secret may come from $CHECKOUTKIT_WEBHOOK_SECRET
//	    instead; it is never printed. Exit 0 only for a 2xx answer.
//
//	checkoutkit version
//	checkoutkit help [COMMAND]
//
// With -webhook-url URL -webhook-secret S, fakes delivers the fakes'
// webhooks (a completed checkout, a paid invoice, …) to URL, signed with S,
// and prints each provider's PROVIDER_WEBHOOK_SECRET (for appstle, S as a
// "whsec_" Svix secret).
//
// Exit codes: 0 success, 1 failure (the SDK's error is printed; a missing
// variable is named), 2 usage. For example:
//
//	eval "$(checkoutkit fakes -detach)"   # the fakes in the background, their variables exported
//	go run ./examples/quickstart          # now against the fakes on 7400–7403
//	curl -H "Authorization: Bearer $(checkoutkit token cartevo -show)" "$CARTEVO_BASE_URL/wallets"
//	kill "$CHECKOUTKIT_FAKES_PID"
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// SIGHUP too: a fakes job of a shell that exits stops cleanly, removing
	// its -env-file.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
