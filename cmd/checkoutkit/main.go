// Command checkoutkit runs the SDK's provider fakes as servers, mints a token
// with the credentials in the environment, and decodes JWTs.
//
// Install it with
//
//	go install github.com/checkoutkit/checkoutkit/cmd/checkoutkit@latest
//
// Subcommands:
//
//	checkoutkit fakes [-host 127.0.0.1] [-port 7400] [-only PROVIDER]
//	    Serve the four fakes (cartevo, crovver, appstle, altpay) on
//	    consecutive ports and print export lines for eval: credentials the
//	    fakes accept and CARTEVO_BASE_URL, CROVVER_BASE_URL,
//	    APPSTLE_BASE_URL, ALTPAY_BASE_URL. Requests are logged on stderr
//	    (method, path, status; never a credential). SIGINT or SIGTERM stops.
//
//	checkoutkit token cartevo|altpay|crovver|appstle [flags]
//	    Mint one token with the credentials (and base URL) from the
//	    environment; print provider, expiry, time left and the token
//	    redacted, or with -show the raw token alone.
//
//	checkoutkit decode TOKEN|-
//	    Print a JWT's header, claims and time to expiry, without verifying
//	    its signature.
//
//	checkoutkit webhook send -provider P -url URL -secret S [-event TYPE] [-data FILE]
//	    Sign one webhook delivery exactly as the provider does (crovver,
//	    appstle, altpay, cartevo) and post it to URL: the "stripe trigger"
//	    of this SDK. The secret may come from $CHECKOUTKIT_WEBHOOK_SECRET
//	    instead; it is never printed. Exit 0 only for a 2xx answer.
//
//	checkoutkit version
//
// With -webhook-url URL -webhook-secret S, fakes delivers the fakes'
// webhooks (a completed checkout, a paid invoice, …) to URL, signed with S,
// and prints each provider's PROVIDER_WEBHOOK_SECRET (for appstle, S as a
// "whsec_" Svix secret).
//
// Exit codes: 0 success, 1 failure (the SDK's error is printed), 2 usage.
// For example:
//
//	eval "$(checkoutkit fakes &)"      # or run it in another terminal and paste the lines
//	go run ./examples/quickstart       # now against the fakes on 7400–7403
//	curl -H "Authorization: Bearer $(checkoutkit token cartevo -show)" "$CARTEVO_BASE_URL/wallets"
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
