package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
)

func runAltpay(ctx context.Context, out *printer, getenv func(string) string) error {
	id, secret, base := getenv("ALTPAY_CLIENT_ID"), getenv("ALTPAY_CLIENT_SECRET"), getenv("ALTPAY_BASE_URL")
	var srv *altpaytest.Server
	if id == "" || secret == "" {
		srv = altpaytest.NewServer()
		defer srv.Close()
		id, secret, base = altpaytest.ClientID, altpaytest.ClientSecret, srv.URL()
		out.line("altpay — Alternative Payments access and checkout tokens (fake Alternative Payments at %s)", base)
	} else {
		if base == "" {
			base = altpay.DemoBaseURL
		}
		out.line("altpay — Alternative Payments access and checkout tokens (%s)", where(base, getenv))
	}
	client, err := altpay.New(id, secret, altpay.WithBaseURL(base))
	if err != nil {
		return err
	}
	defer client.Close()

	access, err := client.AccessToken(ctx)
	if err != nil {
		return err
	}
	out.step("access token", "%v", access)
	if srv == nil {
		customer, invoice := getenv("ALTPAY_CUSTOMER_ID"), getenv("ALTPAY_INVOICE_ID")
		if customer == "" || invoice == "" {
			out.step("checkout token", "set ALTPAY_CUSTOMER_ID and ALTPAY_INVOICE_ID to mint one")
			return nil
		}
		tok, err := client.CheckoutToken(ctx, altpay.CheckoutTokenRequest{CustomerID: customer, InvoiceID: invoice})
		if err != nil {
			return err
		}
		out.step("checkout token", "%v", tok)
		return nil
	}
	for i := 1; i <= 3; i++ {
		tok, err := client.CheckoutToken(ctx, altpay.CheckoutTokenRequest{CustomerID: "cus_123", InvoiceID: fmt.Sprint("inv_", i)})
		if err != nil {
			return err
		}
		out.step(fmt.Sprint("checkout token ", i), "%v", tok)
	}
	out.step("OAuth calls", "%d for 3 checkout tokens", srv.TokenRequests())

	// The endpoint the page's onAccessTokenExpired callback calls.
	h := client.RefreshHandler(func(*http.Request) (altpay.CheckoutTokenRequest, error) {
		return altpay.CheckoutTokenRequest{CustomerID: "cus_123", InvoiceID: "inv_1"}, nil
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/checkout/token", nil))
	out.step("POST /checkout/token", "%d, Cache-Control: %s, reused: %t", rec.Code, rec.Header().Get("Cache-Control"), srv.CheckoutTokens() == 3)
	return nil
}
