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

	// Code that takes an oauth2.TokenSource gets the cached access token;
	// it is minted once, shared with the client's own calls. (For
	// requests, use HTTPClient or OAuth2Transport: oauth2.NewClient would
	// attach the token to any host.)
	ts := oauth2.ReuseTokenSource(nil, client.TokenSource())
	tok, err := ts.Token()
	if err != nil {
		fmt.Println(err)
		return
	}
	own, _ := client.AccessToken(context.Background())
	fmt.Println(tok.TokenType, tok.AccessToken == own.Value, srv.TokenRequests())
	// Output:
	// Bearer true 1
}

func ExampleClient_OAuth2Transport() {
	srv := altpaytest.NewServer()
	defer srv.Close()
	client, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	// For code that wants an x/oauth2 transport: the access token goes to
	// the partner API's host only.
	hc := &http.Client{Transport: client.OAuth2Transport(nil)}
	resp, err := hc.Post(srv.URL()+"/v1/checkout-auth/init", "application/json",
		strings.NewReader(`{"customer_id":"cus_123","invoice_id":"inv_456"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, srv.TokenRequests())

	_, err = hc.Get("https://example.com/") // refused, before any token is attached
	fmt.Println(errors.Is(err, altpay.ErrInvalidRequest))
	// Output:
	// 200 1
	// true
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

func ExampleNew() {
	// In production: altpay.New(os.Getenv("ALTPAY_CLIENT_ID"), os.Getenv("ALTPAY_CLIENT_SECRET")).
	_, err := altpay.New("ap_client_3c9d2e7f", "")
	fmt.Println(err, errors.Is(err, altpay.ErrInvalidRequest))
	// Output:
	// altpay: invalid clientSecret: must not be empty true
}

func ExampleClient_AccessToken() {
	srv := altpaytest.NewServer()
	defer srv.Close()
	client, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	tok, err := client.AccessToken(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	again, _ := client.AccessToken(context.Background()) // cached
	fmt.Println(tok.Type, tok.Value == again.Value, srv.TokenRequests())
	fmt.Println(strings.Contains(fmt.Sprint(tok), tok.Value)) // printing never shows the token
	// Output:
	// Bearer true 1
	// false
}

func ExampleClient_Do() {
	srv := altpaytest.NewServer()
	defer srv.Close()
	client, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/v1/checkout-auth/init",
		strings.NewReader(`{"customer_id":"cus_123","invoice_id":"inv_456"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req) // adds the bearer token; one refresh and retry on 401
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// 200
}

func ExampleClient_InvalidateToken() {
	srv := altpaytest.NewServer()
	defer srv.Close()
	client, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	tok, _ := client.AccessToken(context.Background())
	// Another API refused tok: drop it, so that the next call mints anew.
	client.InvalidateToken(tok)
	fresh, _ := client.AccessToken(context.Background())
	fmt.Println(fresh.Value != tok.Value, srv.TokenRequests())
	// Output:
	// true 2
}

func ExampleClient_InvalidateCheckout() {
	srv := altpaytest.NewServer()
	defer srv.Close()
	client, err := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	r := altpay.CheckoutTokenRequest{CustomerID: "cus_123", InvoiceID: "inv_456"}
	tok, _ := client.CheckoutToken(context.Background(), r)
	// The browser SDK reported tok expired: drop it, so the next call mints anew.
	client.InvalidateCheckout(tok)
	fresh, _ := client.CheckoutToken(context.Background(), r)
	fmt.Println(fresh.Token != tok.Token, srv.CheckoutTokens())
	// Output:
	// true 2
}
