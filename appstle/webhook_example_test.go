package appstle_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
)

// Appstle's webhooks come through Svix; the secret is the endpoint's
// "whsec_…" signing secret.
func ExampleWebhookHandler() {
	got := make(chan string, 2)
	app := httptest.NewServer(appstle.WebhookHandler(appstletest.WebhookSecret, func(ctx context.Context, e appstle.Event) error {
		c, err := e.Contract()
		if err != nil {
			return err
		}
		got <- fmt.Sprint(e.Type, " contract ", c.ContractID)
		return nil
	}))
	defer app.Close()
	srv := appstletest.NewServer(appstletest.WithWebhook(app.URL, appstletest.WebhookSecret))
	defer srv.Close()

	srv.CreateContract(appstletest.CustomerID)
	fmt.Println(<-got)
	fmt.Println(<-got)
	// Output:
	// subscription.created contract 1001
	// subscription.activated contract 1001
}

func ExampleClient_ValidContracts() {
	srv := appstletest.NewServer(appstletest.WithContract(appstletest.CustomerID, 1001))
	defer srv.Close()
	client, _ := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()), appstle.WithAppKey("partner-app-key"))
	defer client.Close()

	ids, err := client.ValidContracts(context.Background(), "gid://shopify/Customer/12345")
	fmt.Println(ids, err)
	// Output: [1001] <nil>
}
