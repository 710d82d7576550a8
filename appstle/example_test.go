package appstle_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

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

func ExampleNew() {
	// In production: appstle.New(os.Getenv("APPSTLE_API_KEY")).
	_, err := appstle.New("")
	fmt.Println(err, errors.Is(err, appstle.ErrInvalidRequest))
	// Output:
	// appstle: invalid apiKey: must not be empty true
}

func ExampleClient_PortalToken() {
	srv := appstletest.NewServer() // in production: no WithBaseURL
	defer srv.Close()
	client, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	tok, err := client.PortalToken(context.Background(), appstle.PortalTokenRequest{Email: appstletest.Email})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.CustomerID, tok.ExpiresIn.Round(time.Hour))

	// An address Appstle does not know: its 400 invalidCustomer, which
	// matches ErrNotFound too.
	_, err = client.PortalToken(context.Background(), appstle.PortalTokenRequest{Email: "nobody@example.com"})
	fmt.Println(errors.Is(err, appstle.ErrNotFound))
	// Output:
	// 12345 2h0m0s
	// true
}

func ExampleClient_ManageSubscriptionLink() {
	srv := appstletest.NewServer()
	defer srv.Close()
	client, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	l, err := client.ManageSubscriptionLink(context.Background(), "gid://shopify/Customer/12345")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(l.CustomerID, l.Link[:68])
	fmt.Println(strings.Contains(fmt.Sprint(l), "token=")) // printing never shows the link's token
	// Output:
	// 12345 https://mystore.myshopify.com/tools/recurring/customer_portal?token=
	// false
}

func ExampleClient_SendPortalMagicLink() {
	srv := appstletest.NewServer()
	defer srv.Close()
	client, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	err = client.SendPortalMagicLink(context.Background(), appstletest.Email)
	fmt.Println(err, srv.MagicLinksSent())
	// Output:
	// <nil> [ada+subs@example.com]
}

// With WithShopDomain the portal token carries the link to the customer
// portal, as crovver's does, and PortalRedirectHandler("", resolve) sends
// customers to that store.
func ExampleWithShopDomain() {
	srv := appstletest.NewServer()
	defer srv.Close()
	client, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()),
		appstle.WithShopDomain(appstletest.Shop))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	tok, err := client.PortalToken(context.Background(), appstle.PortalTokenRequest{Email: appstletest.Email})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.HasPrefix(tok.PortalURL, "https://"+appstletest.Shop+"/tools/recurring/customer_portal?token="))
	fmt.Println(strings.Contains(fmt.Sprint(tok), "customer_portal")) // printed tokens show neither token nor URL
	// Output:
	// true
	// false
}
