package checkoutkit_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/crovver"
)

// The four provider packages read as one (README, "One family"). These
// tests hold each rule for every package.

// nowhere is a loopback base URL nothing listens on: a call that reached
// the network would fail with a transport error, not a FieldError.
const nowhere = "http://127.0.0.1:1"

// FieldError.Field is the Go identifier the caller wrote: a request
// struct's field name, a parameter's name as godoc shows it, an option's
// function name.
func TestFieldErrorFieldIsTheIdentifierTheCallerWrote(t *testing.T) {
	ctx := context.Background()
	other := func(c interface {
		Do(*http.Request) (*http.Response, error)
	}, mutate func(*http.Request)) error {
		req, _ := http.NewRequest(http.MethodGet, "https://elsewhere.example.com/x", nil)
		if mutate != nil {
			req, _ = http.NewRequest(http.MethodGet, nowhere+"/x", nil)
			mutate(req)
		}
		_, err := c.Do(req)
		return err
	}
	cv, err := cartevo.New("client_1", "key_1", cartevo.WithBaseURL(nowhere))
	require.NoError(t, err)
	defer cv.Close()
	cr, err := crovver.New("pk_test_1", crovver.WithBaseURL(nowhere))
	require.NoError(t, err)
	defer cr.Close()
	as, err := appstle.New("apst_1", appstle.WithBaseURL(nowhere))
	require.NoError(t, err)
	defer as.Close()
	ap, err := altpay.New("client_1", "secret_1", altpay.WithBaseURL(nowhere))
	require.NoError(t, err)
	defer ap.Close()
	nan := math.NaN()

	cases := map[string]struct {
		err   func() error
		field string
	}{
		"cartevo New clientID":  {func() error { _, err := cartevo.New("", "k"); return err }, "clientID"},
		"cartevo New clientKey": {func() error { _, err := cartevo.New("id", " "); return err }, "clientKey"},
		"cartevo WithBaseURL": {func() error {
			_, err := cartevo.New("id", "k", cartevo.WithBaseURL("http://api.cartevo.co"))
			return err
		}, "WithBaseURL"},
		"cartevo WithMaxAttempts":   {func() error { _, err := cartevo.New("id", "k", cartevo.WithMaxAttempts(-1)); return err }, "WithMaxAttempts"},
		"cartevo WithRetryWait":     {func() error { _, err := cartevo.New("id", "k", cartevo.WithRetryWait(2, 1)); return err }, "WithRetryWait"},
		"cartevo WithMaxRetryAfter": {func() error { _, err := cartevo.New("id", "k", cartevo.WithMaxRetryAfter(-1)); return err }, "WithMaxRetryAfter"},
		"cartevo Call in":           {func() error { return cv.Call(ctx, http.MethodPost, "/wallets", make(chan int), nil) }, "in"},
		"cartevo Do req.URL":        {func() error { return other(cv, nil) }, "req.URL"},
		"cartevo Do req.Host":       {func() error { return other(cv, func(r *http.Request) { r.Host = "evil.example.com" }) }, "req.Host"},
		"cartevo Do req":            {func() error { _, err := cv.Do(nil); return err }, "req"},
		"crovver New publicKey":     {func() error { _, err := crovver.New(""); return err }, "publicKey"},
		"crovver WithBaseURL":       {func() error { _, err := crovver.New("pk", crovver.WithBaseURL("::")); return err }, "WithBaseURL"},
		"crovver ExternalTenantID": {func() error {
			_, err := cr.CheckoutToken(ctx, crovver.CheckoutTokenRequest{ReturnURL: "https://a.example/"})
			return err
		}, "ExternalTenantID"},
		"crovver ReturnURL": {func() error {
			_, err := cr.CheckoutToken(ctx, crovver.CheckoutTokenRequest{ExternalTenantID: "t"})
			return err
		}, "ReturnURL"},
		"crovver portal ReturnURL": {func() error {
			_, err := cr.PortalToken(ctx, crovver.PortalTokenRequest{ExternalTenantID: "t", ReturnURL: "/rel"})
			return err
		}, "ReturnURL"},
		"crovver Metadata": {func() error {
			_, err := cr.CheckoutToken(ctx, crovver.CheckoutTokenRequest{ExternalTenantID: "t", ReturnURL: "https://a.example/", Metadata: map[string]any{"x": make(chan int)}})
			return err
		}, "Metadata"},
		"crovver tenantID":           {func() error { _, err := cr.SubscriptionStatus(ctx, ""); return err }, "tenantID"},
		"crovver RequestingEntityID": {func() error { _, err := cr.CanAccess(ctx, crovver.CanAccessRequest{}); return err }, "RequestingEntityID"},
		"crovver Amount": {func() error {
			_, err := cr.CanAccess(ctx, crovver.CanAccessRequest{RequestingEntityID: "t", Amount: &nan})
			return err
		}, "Amount"},
		"appstle New apiKey":     {func() error { _, err := appstle.New(""); return err }, "apiKey"},
		"appstle WithShopDomain": {func() error { _, err := appstle.New("k", appstle.WithShopDomain("no spaces.example.com")); return err }, "WithShopDomain"},
		"appstle CustomerID":     {func() error { _, err := as.PortalToken(ctx, appstle.PortalTokenRequest{CustomerID: "12a"}); return err }, "CustomerID"},
		"appstle neither":        {func() error { _, err := as.CustomerPortalToken(ctx, appstle.PortalTokenRequest{}); return err }, "CustomerID"},
		"appstle Email": {func() error {
			_, err := as.PortalToken(ctx, appstle.PortalTokenRequest{Email: "Ada <a@b.example>"})
			return err
		}, "Email"},
		"appstle customerID":      {func() error { _, err := as.ValidContracts(ctx, "x"); return err }, "customerID"},
		"appstle link customerID": {func() error { _, err := as.ManageSubscriptionLink(ctx, "x"); return err }, "customerID"},
		"appstle PortalURL shop":  {func() error { _, err := appstle.PortalURL("http://shop.example.com", "tok"); return err }, "shopDomain"},
		"appstle PortalURL token": {func() error { _, err := appstle.PortalURL("mystore.myshopify.com", ""); return err }, "token"},
		"appstle path":            {func() error { _, err := appstle.PortalURLWithPath("mystore.myshopify.com", "rel", "tok"); return err }, "path"},
		"altpay New clientID":     {func() error { _, err := altpay.New("", "s"); return err }, "clientID"},
		"altpay New clientSecret": {func() error { _, err := altpay.New("id", ""); return err }, "clientSecret"},
		"altpay WithBaseURL":      {func() error { _, err := altpay.New("id", "s", altpay.WithBaseURL("https://u:p@x.example")); return err }, "WithBaseURL"},
		"altpay CustomerID": {func() error {
			_, err := ap.CheckoutToken(ctx, altpay.CheckoutTokenRequest{InvoiceID: "inv"})
			return err
		}, "CustomerID"},
		"altpay InvoiceID": {func() error {
			_, err := ap.CheckoutToken(ctx, altpay.CheckoutTokenRequest{CustomerID: "cus"})
			return err
		}, "InvoiceID"},
		"altpay Call in":    {func() error { return ap.Call(ctx, http.MethodPost, "/webhooks", make(chan int), nil) }, "in"},
		"altpay Do req.URL": {func() error { return other(ap, nil) }, "req.URL"},
		"altpay EndpointURL": {func() error {
			_, err := ap.CreateWebhook(ctx, altpay.CreateWebhookRequest{EndpointURL: "ftp://x"})
			return err
		}, "EndpointURL"},
		"altpay SecretKey": {func() error {
			_, err := ap.CreateWebhook(ctx, altpay.CreateWebhookRequest{EndpointURL: "https://x.example/h"})
			return err
		}, "SecretKey"},
		"altpay Topic": {func() error {
			_, err := ap.CreateWebhook(ctx, altpay.CreateWebhookRequest{EndpointURL: "https://x.example/h", SecretKey: "s"})
			return err
		}, "Topic"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.err()
			var fe *checkoutkit.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			assert.Equal(t, tc.field, fe.Field)
			assert.ErrorIs(t, err, checkoutkit.ErrInvalidRequest)
			assert.NotContains(t, fe.Field, " ", "an identifier, not prose")
		})
	}
}

// providerFiles parses the non-test, hand-written and generated Go files of
// the four provider packages.
func providerFiles(t *testing.T) map[string][]*ast.File {
	t.Helper()
	out := map[string][]*ast.File{}
	fset := token.NewFileSet()
	for _, pkg := range []string{"cartevo", "crovver", "appstle", "altpay"} {
		paths, err := filepath.Glob(filepath.Join(pkg, "*.go"))
		require.NoError(t, err)
		for _, p := range paths {
			if strings.HasSuffix(p, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
			require.NoError(t, err)
			out[pkg] = append(out[pkg], f)
		}
	}
	return out
}

// A provider result struct is returned by pointer; the cache's
// tokencache.Token and a webhook Event (a message handed to the caller,
// fixed by VerifyWebhook's signature) are values; lists are slices.
func TestResultStructsAreReturnedByPointer(t *testing.T) {
	values := map[string]bool{"Event": true}
	for pkg, files := range providerFiles(t) {
		structs := map[string]bool{}
		for _, f := range files {
			for _, d := range f.Decls {
				if g, ok := d.(*ast.GenDecl); ok {
					for _, s := range g.Specs {
						if ts, ok := s.(*ast.TypeSpec); ok {
							if _, ok := ts.Type.(*ast.StructType); ok && ts.Assign == 0 {
								structs[ts.Name.Name] = true
							}
						}
					}
				}
			}
		}
		for _, f := range files {
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || !fn.Name.IsExported() || fn.Type.Results == nil {
					continue
				}
				for _, r := range fn.Type.Results.List {
					id, ok := r.Type.(*ast.Ident)
					if ok && structs[id.Name] && !values[id.Name] {
						t.Errorf("%s.%s returns %s by value: a result struct is returned by pointer", pkg, fn.Name.Name, id.Name)
					}
				}
			}
		}
	}
}

// Every handler's callback is named resolve, in its signature and godoc.
func TestHandlerCallbackIsResolve(t *testing.T) {
	seen := 0
	for pkg, files := range providerFiles(t) {
		for _, f := range files {
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || !fn.Name.IsExported() {
					continue
				}
				for _, p := range fn.Type.Params.List {
					ft, ok := p.Type.(*ast.FuncType)
					if !ok || len(ft.Params.List) != 1 {
						continue
					}
					if star, ok := ft.Params.List[0].Type.(*ast.StarExpr); !ok || !isHTTPRequest(star.X) {
						continue
					}
					seen++
					for _, n := range p.Names {
						assert.Equal(t, "resolve", n.Name, "%s.%s", pkg, fn.Name.Name)
					}
					assert.Contains(t, fn.Doc.Text(), "resolve", "%s.%s's doc names the callback", pkg, fn.Name.Name)
				}
			}
		}
	}
	assert.GreaterOrEqual(t, seen, 4, "crovver's two handlers, appstle's and altpay's")
}

func isHTTPRequest(e ast.Expr) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == "http" && sel.Sel.Name == "Request"
}
