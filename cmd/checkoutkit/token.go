package main

import (
	"context"
	"errors"
	"fmt"
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

const tokenExample = `  checkoutkit token cartevo                      # CARTEVO_CLIENT_ID, CARTEVO_CLIENT_KEY
  curl -H "Authorization: Bearer $(checkoutkit token cartevo -show)" "$CARTEVO_BASE_URL/wallets"
  checkoutkit token altpay -customer cus_1 -invoice inv_1   # a checkout token
  checkoutkit token crovver -tenant acme -return-url https://app.example.com/done
  checkoutkit token appstle -customer 12345`

func runToken(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fmt.Fprintf(e.stderr, "Usage: checkoutkit token cartevo|altpay|crovver|appstle [flags]\n\nExample:\n%s\n", tokenExample)
			return nil
		}
		return usagef("token needs a provider: cartevo, altpay, crovver or appstle")
	}
	provider, args := args[0], args[1:]
	fs := newFlags("token "+provider, "token "+provider+" [flags]", tokenExample, e)
	baseURL := fs.String("base-url", "", "API base URL (default: $"+strings.ToUpper(provider)+"_BASE_URL, else the provider's production URL)")
	show := fs.Bool("show", false, "print the raw token alone, for $(...)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	var customer, invoice, tenant, returnURL, email *string
	var portal *bool
	switch provider {
	case "altpay":
		customer = fs.String("customer", "", "with -invoice: mint a checkout token for this customer id instead of an access token")
		invoice = fs.String("invoice", "", "the invoice id of the checkout token")
	case "crovver":
		tenant = fs.String("tenant", e.getenv("CROVVER_TENANT_ID"), "external tenant id (default $CROVVER_TENANT_ID)")
		returnURL = fs.String("return-url", "https://example.com/return", "where Crovver sends the user back to")
		portal = fs.Bool("portal", false, "mint a billing-portal token instead of a checkout token")
	case "appstle":
		customer = fs.String("customer", e.getenv("APPSTLE_CUSTOMER_ID"), "Shopify customer id (default $APPSTLE_CUSTOMER_ID)")
		email = fs.String("email", "", "look the customer up by e-mail instead")
	case "cartevo":
	default:
		return usagef("unknown provider %q (want cartevo, altpay, crovver or appstle)", provider)
	}
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
	var err error
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
	left := time.Until(m.expiresAt).Round(time.Second)
	fmt.Fprintf(e.stdout, "provider:  %s (%s)\n", provider, m.kind)
	fmt.Fprintf(e.stdout, "expires:   %s (in %s)\n", m.expiresAt.UTC().Format(time.RFC3339), left)
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
		return minted{}, usagef("crovver needs -tenant (or CROVVER_TENANT_ID)")
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
