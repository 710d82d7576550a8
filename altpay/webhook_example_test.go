package altpay_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
)

// Register the endpoint with a secret_key, serve WebhookHandler with the
// same secret, and mark the invoice paid when invoice_paid arrives.
func ExampleWebhookHandler() {
	const secret = "a-long-random-secret-key"
	paid := make(chan string, 1)
	app := httptest.NewServer(altpay.WebhookHandler(secret, func(ctx context.Context, e altpay.Event) error {
		if e.Type != altpay.TopicInvoicePaid {
			return nil
		}
		inv, err := e.Invoice()
		if err != nil {
			return err
		}
		paid <- inv.ID
		return nil
	}))
	defer app.Close()

	srv := altpaytest.NewServer()
	defer srv.Close()
	client, _ := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	defer client.Close()
	ctx := context.Background()
	if _, err := client.CreateWebhook(ctx, altpay.CreateWebhookRequest{EndpointURL: app.URL, SecretKey: secret, Topic: altpay.TopicInvoicePaid}); err != nil {
		fmt.Println(err)
		return
	}

	// the customer pays in the browser
	tok, _ := client.CheckoutToken(ctx, altpay.CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"})
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/v1/checkout/pay", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	fmt.Println("paid:", <-paid)
	// Output: paid: inv_1
}

func ExampleClient_ListWebhooks() {
	srv := altpaytest.NewServer()
	defer srv.Close()
	client, _ := altpay.New(altpaytest.ClientID, altpaytest.ClientSecret, altpay.WithBaseURL(srv.URL()))
	defer client.Close()
	ctx := context.Background()
	_, _ = client.CreateWebhook(ctx, altpay.CreateWebhookRequest{EndpointURL: "https://shop.example/hooks/altpay", SecretKey: "s3cret-key", Topic: altpay.TopicInvoicePaid})
	list, err := client.ListWebhooks(ctx, altpay.ListWebhooksRequest{Topic: altpay.TopicInvoicePaid})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range list {
		fmt.Println(w.Topic, w.EndpointURL, w.IsActive)
	}
	// Output: invoice_paid https://shop.example/hooks/altpay true
}
