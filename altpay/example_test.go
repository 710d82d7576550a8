package altpay_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

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
