package main

import (
	"context"
	"strings"

	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
)

func runAppstle(ctx context.Context, out *printer, getenv func(string) string) error {
	key, customer, shop := getenv("APPSTLE_API_KEY"), getenv("APPSTLE_CUSTOMER_ID"), getenv("APPSTLE_SHOP")
	opts := []appstle.Option{}
	var srv *appstletest.Server
	if key == "" || customer == "" || shop == "" {
		srv = appstletest.NewServer()
		defer srv.Close()
		key, customer, shop = appstletest.APIKey, "gid://shopify/Customer/12345", appstletest.Shop
		opts = append(opts, appstle.WithBaseURL(srv.URL()))
		out.line("appstle — Shopify customer-portal tokens (fake Appstle at %s)", srv.URL())
	} else {
		base := getenv("APPSTLE_BASE_URL")
		if base == "" {
			base = appstle.DefaultBaseURL
		}
		opts = append(opts, appstle.WithBaseURL(base))
		out.line("appstle — Shopify customer-portal tokens (%s)", where(base, getenv))
	}
	client, err := appstle.New(key, opts...)
	if err != nil {
		return err
	}
	defer client.Close()

	tok, err := client.CustomerPortalToken(ctx, appstle.PortalTokenRequest{CustomerID: customer})
	if err != nil {
		return err
	}
	out.step("portal token", "%v", tok)
	// The same customer in its numeric form: one cache entry for both.
	numeric := strings.TrimPrefix(customer, "gid://shopify/Customer/")
	again, err := client.CustomerPortalToken(ctx, appstle.PortalTokenRequest{CustomerID: numeric})
	if err != nil {
		return err
	}
	out.step("same customer, numeric", "reused: %t", again.Token == tok.Token)
	link, err := appstle.PortalURL(shop, tok.Token)
	if err != nil {
		return err
	}
	out.step("portal link", "%s…", link[:len(link)-len(tok.Token)])
	if srv != nil {
		_, err = client.CustomerPortalToken(ctx, appstle.PortalTokenRequest{Email: "Ada <ada@example.com>"})
		out.step("bad input, no request", "%v", err)
		out.step("tokens issued", "%d", srv.PortalTokens())
	}
	return nil
}
