package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/crovver"
)

// minted is what token prints.
type minted struct {
	kind      string // "access token", "checkout token", ...
	value     string
	expiresAt time.Time
}

// tokenExample is the help text's example; a test runs each line in bash
// against the fakes' environment.
const tokenExample = `  checkoutkit token cartevo                      # CARTEVO_CLIENT_ID, CARTEVO_CLIENT_KEY
  curl -fsS -H "Authorization: Bearer $(checkoutkit token cartevo -show)" "$CARTEVO_BASE_URL/wallets"
  checkoutkit token altpay                       # ALTPAY_CLIENT_ID, ALTPAY_CLIENT_SECRET: an access token
  checkoutkit token altpay -customer "$ALTPAY_CUSTOMER_ID" -invoice "$ALTPAY_INVOICE_ID"   # a checkout token
  checkoutkit token crovver -return-url https://app.example.com/done   # CROVVER_PUBLIC_KEY, CROVVER_TENANT_ID
  checkoutkit token crovver -portal              # the fakes' tenant is subscribed
  checkoutkit token appstle                      # APPSTLE_API_KEY, APPSTLE_CUSTOMER_ID
  checkoutkit token appstle -email "$APPSTLE_CUSTOMER_EMAIL"`

// tokenProviders are the providers token mints for, in help order.
var tokenProviders = []string{"cartevo", "altpay", "crovver", "appstle"}

// tokenOptions are token's flags; the provider's own are nil for others.
type tokenOptions struct {
	baseURL                                     *string
	show                                        *bool
	timeout                                     *time.Duration
	customer, invoice, tenant, returnURL, email *string
	portal                                      *bool
}

// tokenFlags defines the flags of "token provider", or reports an unknown
// provider.
func tokenFlags(provider string, e env) (*flag.FlagSet, *tokenOptions, error) {
	if !slices.Contains(tokenProviders, provider) {
		return nil, nil, usagef("unknown provider %q (want cartevo, altpay, crovver or appstle)", provider)
	}
	fs := newFlags("token "+provider, "token "+provider+" [flags]", tokenExample, e)
	o := &tokenOptions{
		baseURL: fs.String("base-url", "", "API base URL (default: $"+strings.ToUpper(provider)+"_BASE_URL, else the provider's production URL)"),
		show:    fs.Bool("show", false, "print the raw token alone, for $(...)"),
		timeout: fs.Duration("timeout", 30*time.Second, "give up after this long"),
	}
	switch provider {
	case "altpay":
		o.customer = fs.String("customer", "", "with -invoice: mint a checkout token for this customer id instead of an access token")
		o.invoice = fs.String("invoice", "", "the invoice id of the checkout token")
	case "crovver":
		o.tenant = fs.String("tenant", e.getenv("CROVVER_TENANT_ID"), "external tenant id (default $CROVVER_TENANT_ID)")
		o.returnURL = fs.String("return-url", "https://example.com/return", "where Crovver sends the user back to")
		o.portal = fs.Bool("portal", false, "mint a billing-portal token instead of a checkout token (the tenant must be subscribed)")
	case "appstle":
		o.customer = fs.String("customer", e.getenv("APPSTLE_CUSTOMER_ID"), "Shopify customer id (default $APPSTLE_CUSTOMER_ID)")
		o.email = fs.String("email", "", "look the customer up by e-mail instead")
	}
	return fs, o, nil
}

// tokenHelp is "token -h": every provider's flags, then the example.
func tokenHelp(e env) {
	fmt.Fprintf(e.stdout, "Usage: checkoutkit token cartevo|altpay|crovver|appstle [flags]\n\n"+
		"Mint one token with the credentials (and base URL) from the environment, and\n"+
		"print the provider, expiry and time left with the token redacted (-show: the\n"+
		"raw token alone). A missing variable is named, exit 1.\n")
	for _, p := range tokenProviders {
		fs, _, _ := tokenFlags(p, env{getenv: func(string) string { return "" }, stdout: e.stdout, stderr: e.stderr})
		fmt.Fprintf(e.stdout, "\nFlags of token %s:\n", p)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
	}
	fmt.Fprintf(e.stdout, "\nExample:\n%s\n", tokenExample)
}

func runToken(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			tokenHelp(e)
			return flag.ErrHelp
		}
		return usagef("token needs a provider: cartevo, altpay, crovver or appstle")
	}
	provider, args := args[0], args[1:]
	fs, o, err := tokenFlags(provider, e)
	if err != nil {
		return err
	}
	baseURL, show, timeout := o.baseURL, o.show, o.timeout
	customer, invoice, tenant, returnURL, email, portal := o.customer, o.invoice, o.tenant, o.returnURL, o.email, o.portal
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	base := *baseURL
	if base == "" {
		base = e.getenv(strings.ToUpper(provider) + "_BASE_URL")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	var m minted
	switch provider {
	case "cartevo":
		m, err = mintCartevo(ctx, e, base)
	case "altpay":
		m, err = mintAltpay(ctx, e, base, *customer, *invoice)
	case "crovver":
		m, err = mintCrovver(ctx, e, base, *tenant, *returnURL, *portal)
	case "appstle":
		m, err = mintAppstle(ctx, e, base, *customer, *email)
	}
	if err != nil {
		return err
	}
	if *show {
		fmt.Fprintln(e.stdout, m.value)
		return nil
	}
	fmt.Fprintf(e.stdout, "provider:  %s (%s)\n", provider, m.kind)
	fmt.Fprintf(e.stdout, "expires:   %s (%s)\n", m.expiresAt.UTC().Format(time.RFC3339), relative(time.Until(m.expiresAt), true))
	fmt.Fprintf(e.stdout, "token:     [redacted, %d bytes; -show prints it]\n", len(m.value))
	return nil
}

// need reads required variables, naming the first one missing.
func need(e env, names ...string) ([]string, error) {
	var out []string
	for _, n := range names {
		v := e.getenv(n)
		if v == "" {
			return nil, fmt.Errorf("%s is not set", n)
		}
		out = append(out, v)
	}
	return out, nil
}

func mintCartevo(ctx context.Context, e env, base string) (minted, error) {
	v, err := need(e, "CARTEVO_CLIENT_ID", "CARTEVO_CLIENT_KEY")
	if err != nil {
		return minted{}, err
	}
	var opts []cartevo.Option
	if base != "" {
		opts = append(opts, cartevo.WithBaseURL(base))
	}
	c, err := cartevo.New(v[0], v[1], opts...)
	if err != nil {
		return minted{}, err
	}
	defer c.Close()
	tok, err := c.AccessToken(ctx)
	return minted{"access token", tok.Value, tok.ExpiresAt}, err
}

func mintAltpay(ctx context.Context, e env, base, customer, invoice string) (minted, error) {
	v, err := need(e, "ALTPAY_CLIENT_ID", "ALTPAY_CLIENT_SECRET")
	if err != nil {
		return minted{}, err
	}
	var opts []altpay.Option
	if base != "" {
		opts = append(opts, altpay.WithBaseURL(base))
	}
	c, err := altpay.New(v[0], v[1], opts...)
	if err != nil {
		return minted{}, err
	}
	defer c.Close()
	if customer == "" && invoice == "" {
		tok, err := c.AccessToken(ctx)
		return minted{"access token", tok.Value, tok.ExpiresAt}, err
	}
	tok, err := c.CheckoutToken(ctx, altpay.CheckoutTokenRequest{CustomerID: customer, InvoiceID: invoice})
	if err != nil {
		return minted{}, err
	}
	return minted{"checkout token", tok.Token, tok.ExpiresAt}, nil
}

func mintCrovver(ctx context.Context, e env, base, tenant, returnURL string, portal bool) (minted, error) {
	v, err := need(e, "CROVVER_PUBLIC_KEY")
	if err != nil {
		return minted{}, err
	}
	if tenant == "" {
		return minted{}, errors.New("CROVVER_TENANT_ID is not set (or pass -tenant)")
	}
	var opts []crovver.Option
	if base != "" {
		opts = append(opts, crovver.WithBaseURL(base))
	}
	c, err := crovver.New(v[0], opts...)
	if err != nil {
		return minted{}, err
	}
	defer c.Close()
	if portal {
		tok, err := c.PortalToken(ctx, crovver.PortalTokenRequest{ExternalTenantID: tenant, ReturnURL: returnURL})
		if err != nil {
			return minted{}, err
		}
		return minted{"portal token", tok.Token, tok.ExpiresAt}, nil
	}
	tok, err := c.CheckoutToken(ctx, crovver.CheckoutTokenRequest{ExternalTenantID: tenant, ReturnURL: returnURL})
	if err != nil {
		return minted{}, err
	}
	return minted{"checkout token", tok.Token, tok.ExpiresAt}, nil
}

func mintAppstle(ctx context.Context, e env, base, customer, email string) (minted, error) {
	v, err := need(e, "APPSTLE_API_KEY")
	if err != nil {
		return minted{}, err
	}
	if email != "" {
		customer = "" // -email wins over $APPSTLE_CUSTOMER_ID
	}
	if customer == "" && email == "" {
		return minted{}, errors.New("appstle needs -customer (or APPSTLE_CUSTOMER_ID) or -email")
	}
	var opts []appstle.Option
	if base != "" {
		opts = append(opts, appstle.WithBaseURL(base))
	}
	c, err := appstle.New(v[0], opts...)
	if err != nil {
		return minted{}, err
	}
	defer c.Close()
	tok, err := c.PortalToken(ctx, appstle.PortalTokenRequest{CustomerID: customer, Email: email})
	if err != nil {
		return minted{}, err
	}
	return minted{"customer-portal token", tok.Token, tok.ExpiresAt}, nil
}
