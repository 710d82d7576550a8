package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
)

func runCrovver(ctx context.Context, out *printer, getenv func(string) string) error {
	key, base := getenv("CROVVER_PUBLIC_KEY"), getenv("CROVVER_BASE_URL")
	var srv *crovvertest.Server
	if key == "" {
		srv = crovvertest.NewServer()
		defer srv.Close()
		key, base = crovvertest.PublicKey, srv.URL()
		out.line("crovver — tenant checkout tokens (fake Crovver at %s)", base)
	} else {
		if base == "" {
			base = crovver.DefaultBaseURL
		}
		out.line("crovver — tenant checkout tokens (%s)", where(base, getenv))
	}
	client, err := crovver.New(key, crovver.WithBaseURL(base))
	if err != nil {
		return err
	}
	defer client.Close()

	req := crovver.CheckoutTokenRequest{
		ExternalTenantID: "quickstart-tenant",
		ReturnURL:        "https://app.example.com/billing/done",
		Metadata:         map[string]any{"userName": "Ada"},
	}
	tok, err := client.CheckoutToken(ctx, req)
	if err != nil {
		return err
	}
	out.step("checkout token", "%v, valid %s", tok, tok.ExpiresIn.Round(1e9))
	again, err := client.CheckoutToken(ctx, req)
	if err != nil {
		return err
	}
	out.step("same request", "reused: %t", again.Token == tok.Token)
	if srv == nil {
		// A tenant already subscribed (checkoutkit fakes exports one) has a
		// billing portal.
		tenant := getenv("CROVVER_TENANT_ID")
		if tenant == "" {
			out.step("portal token", "set CROVVER_TENANT_ID to a subscribed tenant to mint one")
			return nil
		}
		portal, err := client.PortalToken(ctx, crovver.PortalTokenRequest{ExternalTenantID: tenant, ReturnURL: req.ReturnURL})
		if err != nil {
			return err
		}
		pu, _ := url.Parse(portal.PortalURL)
		out.step("portal token", "%s%s?token=… (tenant %s)", pu.Host, pu.Path, tenant)
		return nil
	}

	// The server-side redirectToCheckout(): your handler answers 303.
	h := client.RedirectHandler(func(*http.Request) (crovver.CheckoutTokenRequest, error) { return req, nil })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/upgrade", nil))
	loc, _ := url.Parse(rec.Header().Get("Location"))
	out.step("GET /upgrade", "%d See Other → %s%s?token=…", rec.Code, loc.Host, loc.Path)

	// The user subscribes on the (fake) pricing page and comes back.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(srv.URL()+"/pricing/subscribe", url.Values{"token": {loc.Query().Get("token")}, "plan": {"pro"}})
	if err != nil {
		return err
	}
	resp.Body.Close()
	out.step("subscribed", "back to %s", resp.Header.Get("Location"))

	portal, err := client.PortalToken(ctx, crovver.PortalTokenRequest{ExternalTenantID: req.ExternalTenantID, ReturnURL: req.ReturnURL})
	if err != nil {
		return err
	}
	plan, _ := srv.Subscription(req.ExternalTenantID)
	pu, _ := url.Parse(portal.PortalURL)
	out.step("portal token", "%s%s?token=… (plan: %s, mints: %d checkout + %d portal)",
		pu.Host, pu.Path, plan, srv.CheckoutTokens(), srv.PortalTokens())
	return nil
}
