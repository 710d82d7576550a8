package altpay_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"golang.org/x/oauth2"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
)

func ExampleClient_CheckoutToken() {
	srv := altpaytest.NewServer() // in production: altpay.DefaultBaseURL or DemoBaseURL
	defer srv.Close()
	client, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	// Check first that the customer and invoice belong to the signed-in user.
	tok, err := client.CheckoutToken(context.Background(), altpay.CheckoutTokenRequest{
		CustomerID: "cus_123", InvoiceID: "inv_456",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Claims.CustomerID, tok.Claims.InvoiceID, tok.ExpiresAt.Sub(tok.Claims.ExpiresAt))
	// Output:
	// cus_123 inv_456 0s
}

func ExampleClient_RefreshHandler() {
	srv := altpaytest.NewServer()
	defer srv.Close()
	client, _ := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	defer client.Close()

	mux := http.NewServeMux()
	mux.Handle("POST /checkout/token", client.RefreshHandler(func(r *http.Request) (altpay.CheckoutTokenRequest, error) {
		// Look the invoice up in the signed-in user's session.
		return altpay.CheckoutTokenRequest{CustomerID: "cus_123", InvoiceID: "inv_456"}, nil
	}))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/checkout/token", nil))
	fmt.Println(rec.Code, rec.Header().Get("Cache-Control"))
	// Output:
	// 200 no-store
}

func ExampleClient_TokenSource() {
	srv := altpaytest.NewServer()
	defer srv.Close()
	client, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	// Code that speaks golang.org/x/oauth2 gets the cached access token;
	// it is minted once, shared with the client's own calls.
	hc := oauth2.NewClient(context.Background(), client.TokenSource())
	resp, err := hc.Post(srv.URL()+"/v1/checkout-auth/init", "application/json",
		strings.NewReader(`{"customer_id":"cus_123","invoice_id":"inv_456"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, srv.OAuthCalls())
	// Output:
	// 200 1
}

func ExampleClient_HTTPClient() {
	srv := altpaytest.NewServer()
	defer srv.Close()
	client, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	// Give HTTPClient to a client generated from the partner API's OpenAPI
	// spec: every request to the API host carries the bearer token, and a
	// 401 is answered with one new token and one retry.
	hc := client.HTTPClient()
	resp, err := hc.Post(srv.URL()+"/v1/checkout-auth/init", "application/json",
		strings.NewReader(`{"customer_id":"cus_123","invoice_id":"inv_456"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)

	// Any other host is refused: the token never leaves for it.
	_, err = hc.Get("https://example.com/")
	fmt.Println(errors.Is(err, altpay.ErrInvalidRequest))
	// Output:
	// 200
	// true
}
