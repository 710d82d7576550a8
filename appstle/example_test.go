package appstle_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
)

func ExampleClient_CustomerPortalToken() {
	srv := appstletest.NewServer() // in production: no WithBaseURL
	defer srv.Close()
	client, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	tok, err := client.CustomerPortalToken(context.Background(), appstle.PortalTokenRequest{
		CustomerID: "gid://shopify/Customer/12345",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	link, _ := appstle.PortalURL("mystore.myshopify.com", tok.Token)
	fmt.Println(tok.CustomerID, link[:68])
	// Output:
	// 12345 https://mystore.myshopify.com/tools/recurring/customer_portal?token=
}

func ExamplePortalURL() {
	link, err := appstle.PortalURL("mystore.myshopify.com", "eyJ.example+token")
	fmt.Println(link, err)
	_, err = appstle.PortalURL("https://mystore.myshopify.com/", "t")
	fmt.Println(err)
	// Output:
	// https://mystore.myshopify.com/tools/recurring/customer_portal?token=eyJ.example%2Btoken <nil>
	// appstle: invalid shopDomain: must be a bare hostname (no scheme, port, path, query or user info)
}

func ExampleClient_PortalRedirectHandler() {
	srv := appstletest.NewServer() // in production: no WithBaseURL
	defer srv.Close()
	client, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	// In production the shop domain is "mystore.myshopify.com"; here the
	// fake (a loopback origin) serves the portal page itself.
	mux := http.NewServeMux()
	mux.Handle("GET /account/subscriptions", client.PortalRedirectHandler(srv.URL(),
		func(r *http.Request) (appstle.PortalTokenRequest, error) {
			// Look the customer up in the signed-in session, never in the request alone.
			return appstle.PortalTokenRequest{CustomerID: "12345"}, nil
		}))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/account/subscriptions", nil))
	loc := rec.Header().Get("Location")
	fmt.Println(rec.Code, rec.Header().Get("Cache-Control"), rec.Header().Get("Referrer-Policy"))
	fmt.Println(strings.TrimPrefix(loc, srv.URL())[:39])

	resp, err := http.Get(loc) // what the browser does next
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// 303 no-store no-referrer
	// /tools/recurring/customer_portal?token=
	// 200
}
