package main

import (
	"context"
	"net/http"
	"sync"

	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
)

func runCartevo(ctx context.Context, out *printer, getenv func(string) string) error {
	id, key := getenv("CARTEVO_CLIENT_ID"), getenv("CARTEVO_CLIENT_KEY")
	if id != "" && key != "" {
		return runCartevoLive(ctx, out, id, key, getenv("CARTEVO_BASE_URL"), getenv)
	}

	srv := cartevotest.NewServer()
	defer srv.Close()
	out.line("cartevo — access tokens (fake Cartevo at %s)", srv.URL())

	client, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()))
	if err != nil {
		return err
	}
	defer client.Close()

	// A cold client: 1,000 concurrent callers, one mint between them.
	const callers = 1000
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := client.AccessToken(ctx)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	tok, err := client.AccessToken(ctx)
	if err != nil {
		return err
	}
	out.step("1,000 callers, cold", "served by %d mint: %v", srv.Mints(), tok)

	again, err := client.AccessToken(ctx)
	if err != nil {
		return err
	}
	out.step("cache hit", "same token: %t (mints: %d)", again.Value == tok.Value, srv.Mints())

	srv.RevokeTokens(cartevotest.ClientID) // Cartevo stops accepting the cached token
	var wallets []struct {
		ID       string `json:"id"`
		Currency string `json:"currency"`
	}
	if err := client.Call(ctx, http.MethodGet, "/wallets", nil, &wallets); err != nil {
		return err
	}
	out.step("token revoked", "GET /wallets → 401 → one refresh → %d wallets (mints: %d)", len(wallets), srv.Mints())
	return nil
}

func runCartevoLive(ctx context.Context, out *printer, id, key, base string, getenv func(string) string) error {
	opts := []cartevo.Option{}
	if base != "" {
		opts = append(opts, cartevo.WithBaseURL(base))
	} else {
		base = cartevo.DefaultBaseURL
	}
	out.line("cartevo — access tokens (%s)", where(base, getenv))
	client, err := cartevo.New(id, key, opts...)
	if err != nil {
		return err
	}
	defer client.Close()
	tok, err := client.AccessToken(ctx)
	if err != nil {
		return err
	}
	out.step("mint", "%v", tok)
	again, err := client.AccessToken(ctx)
	if err != nil {
		return err
	}
	out.step("cache hit", "same token: %t", again.Value == tok.Value)
	return nil
}
