package appstle_test

import (
	"context"
	"fmt"

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
