package cartevo_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
)

func ExampleClient_AccessToken() {
	srv := cartevotest.NewServer() // in production: no WithBaseURL
	defer srv.Close()

	client, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	ctx := context.Background()
	tok, err := client.AccessToken(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	again, _ := client.AccessToken(ctx) // served from the cache
	fmt.Println(tok.Type, tok.Value == again.Value, "mints:", srv.Mints())
	fmt.Printf("%.17v\n", tok) // printed tokens are redacted
	// Output:
	// Bearer true mints: 1
	// Bearer [redacted]
}

func ExampleClient_Call() {
	srv := cartevotest.NewServer()
	defer srv.Close()
	client, _ := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()))
	defer client.Close()

	var wallets []struct {
		ID       string `json:"id"`
		Currency string `json:"currency"`
	}
	if err := client.Call(context.Background(), http.MethodGet, "/wallets", nil, &wallets); err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range wallets {
		fmt.Println(w.ID, w.Currency)
	}
	// Output:
	// wal_xaf_01 XAF
	// wal_usd_01 USD
}

func ExampleClient_Do() {
	srv := cartevotest.NewServer()
	defer srv.Close()
	client, _ := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()))
	defer client.Close()

	ctx := context.Background()
	_, _ = client.AccessToken(ctx)
	srv.RevokeTokens(cartevotest.ClientID) // Cartevo stops accepting the cached token

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, client.URL("/wallets"), nil)
	resp, err := client.Do(req) // 401, one refresh, one retry
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.StatusCode, "mints:", srv.Mints())
	// Output:
	// 200 mints: 2
}

func ExampleClient_TokenSource() {
	srv := cartevotest.NewServer()
	defer srv.Close()
	client, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	// Code that takes an oauth2.TokenSource gets the cached token, minted
	// once and shared with the client's own calls. (For requests, use
	// HTTPClient or OAuth2Transport: oauth2.NewClient would attach the
	// token to any host.)
	ts := oauth2.ReuseTokenSource(nil, client.TokenSource())
	tok, err := ts.Token()
	if err != nil {
		fmt.Println(err)
		return
	}
	own, _ := client.AccessToken(context.Background())
	fmt.Println(tok.TokenType, tok.AccessToken == own.Value, "mints:", srv.Mints())
	// Output:
	// Bearer true mints: 1
}

func ExampleClient_OAuth2Transport() {
	srv := cartevotest.NewServer()
	defer srv.Close()
	client, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	// For code that wants an x/oauth2 transport: the token goes to
	// Cartevo's host only.
	hc := &http.Client{Transport: client.OAuth2Transport(nil)}
	resp, err := hc.Get(client.URL("/wallets?currency=USD"))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, "mints:", srv.Mints())

	_, err = hc.Get("https://elsewhere.example/wallets") // refused, before any token is attached
	fmt.Println(errors.Is(err, cartevo.ErrInvalidRequest))
	// Output:
	// 200 mints: 1
	// true
}

func ExampleClient_HTTPClient() {
	srv := cartevotest.NewServer()
	defer srv.Close()
	client, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	// Hand this to a client generated from Cartevo's OpenAPI spec.
	hc := client.HTTPClient()
	resp, err := hc.Get(client.URL("/wallets"))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)

	_, err = hc.Get("https://elsewhere.example/wallets") // never with the token
	fmt.Println(errors.Is(err, cartevo.ErrInvalidRequest))
	// Output:
	// 200
	// true
}

func ExampleClient_DecodeEnvelope() {
	srv := cartevotest.NewServer()
	defer srv.Close()
	client, _ := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()))
	defer client.Close()

	req, _ := http.NewRequest(http.MethodGet, client.URL("/wallets?limit=1"), nil)
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	var wallets []struct{ ID string }
	if err := client.DecodeEnvelope(resp, &wallets); err != nil { // closes the body
		fmt.Println(err)
		return
	}
	fmt.Println(wallets[0].ID)
	// Output:
	// wal_xaf_01
}

func ExampleClient_InvalidateToken() {
	srv := cartevotest.NewServer()
	defer srv.Close()
	client, _ := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()))
	defer client.Close()

	ctx := context.Background()
	tok, _ := client.AccessToken(ctx)
	client.InvalidateToken(tok) // Cartevo refused it on a request sent without Do
	fresh, _ := client.AccessToken(ctx)
	fmt.Println(fresh.Value != tok.Value, "mints:", srv.Mints())
	// Output:
	// true mints: 2
}
