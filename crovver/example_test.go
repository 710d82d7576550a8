package crovver_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
)

func ExampleClient_CheckoutToken() {
	srv := crovvertest.NewServer() // in production: no WithBaseURL
	defer srv.Close()
	client, err := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	tok, err := client.CheckoutToken(context.Background(), crovver.CheckoutTokenRequest{
		ExternalTenantID: "tenant_42",
		ReturnURL:        "https://app.example.com/billing/done",
		Metadata:         map[string]any{"userEmail": "ada@example.com"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("valid for:", tok.ExpiresIn.Round(time.Minute))
	fmt.Println("send the user to:", strings.HasPrefix(tok.CheckoutURL, srv.URL()+"/pricing?token="))
	fmt.Println(tok.String()[:31]) // printed tokens are redacted
	// Output:
	// valid for: 10m0s
	// send the user to: true
	// CheckoutToken{Token: [redacted]
}

func ExampleClient_RedirectHandler() {
	srv := crovvertest.NewServer()
	defer srv.Close()
	client, _ := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(srv.URL()))
	defer client.Close()

	mux := http.NewServeMux()
	mux.Handle("GET /upgrade", client.RedirectHandler(func(r *http.Request) (crovver.CheckoutTokenRequest, error) {
		// Decide from the signed-in session, never from query parameters alone.
		return crovver.CheckoutTokenRequest{
			ExternalTenantID: "tenant_42",
			ReturnURL:        "https://app.example.com/billing/done",
		}, nil
	}))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/upgrade", nil))
	fmt.Println(rec.Code, strings.HasPrefix(rec.Header().Get("Location"), srv.URL()+"/pricing?token="))
	// Output:
	// 303 true
}

func ExampleClient_PortalToken() {
	srv := crovvertest.NewServer(crovvertest.WithSubscription("tenant_42", "pro"))
	defer srv.Close()
	client, err := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	tok, err := client.PortalToken(context.Background(), crovver.PortalTokenRequest{
		ExternalTenantID: "tenant_42",
		ReturnURL:        "https://app.example.com/account",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.HasPrefix(tok.PortalURL, srv.URL()+"/billing?token="), tok.ExpiresIn.Round(time.Minute))

	_, err = client.PortalToken(context.Background(), crovver.PortalTokenRequest{
		ExternalTenantID: "never_checked_out",
		ReturnURL:        "https://app.example.com/account",
	})
	fmt.Println(errors.Is(err, crovver.ErrTenantNotFound))
	// Output:
	// true 10m0s
	// true
}

func ExampleClient_PortalRedirectHandler() {
	srv := crovvertest.NewServer(crovvertest.WithSubscription("tenant_42", "pro"))
	defer srv.Close()
	client, _ := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(srv.URL()))
	defer client.Close()

	mux := http.NewServeMux()
	mux.Handle("GET /billing", client.PortalRedirectHandler(func(r *http.Request) (crovver.PortalTokenRequest, error) {
		return crovver.PortalTokenRequest{ExternalTenantID: "tenant_42", ReturnURL: "https://app.example.com/"}, nil
	}))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/billing", nil))
	fmt.Println(rec.Code, strings.HasPrefix(rec.Header().Get("Location"), srv.URL()+"/billing?token="))
	fmt.Println(rec.Header().Get("Cache-Control"), rec.Header().Get("Referrer-Policy"))
	// Output:
	// 303 true
	// no-store no-referrer
}

// A tenant that was sent to checkout but has no subscription is
// ErrNoActiveSubscription; one Crovver has never seen is ErrTenantNotFound.
// Both match ErrNotFound.
func ExampleClient_PortalToken_noActiveSubscription() {
	srv := crovvertest.NewServer()
	defer srv.Close()
	client, _ := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(srv.URL()))
	defer client.Close()
	ctx := context.Background()

	// tenant_7 starts a checkout but never subscribes.
	_, err := client.CheckoutToken(ctx, crovver.CheckoutTokenRequest{
		ExternalTenantID: "tenant_7", ReturnURL: "https://app.example.com/billing/done",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, tenant := range []string{"tenant_7", "tenant_never_seen"} {
		_, err := client.PortalToken(ctx, crovver.PortalTokenRequest{
			ExternalTenantID: tenant, ReturnURL: "https://app.example.com/account",
		})
		fmt.Printf("%s: no subscription %v, unknown tenant %v, not found %v\n", tenant,
			errors.Is(err, crovver.ErrNoActiveSubscription), errors.Is(err, crovver.ErrTenantNotFound),
			errors.Is(err, crovver.ErrNotFound))
	}
	// Output:
	// tenant_7: no subscription true, unknown tenant false, not found true
	// tenant_never_seen: no subscription false, unknown tenant true, not found true
}
