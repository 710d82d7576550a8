package cartevo_test

import (
	"context"
	"fmt"
	"net/http"

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
