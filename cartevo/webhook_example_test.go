package cartevo_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
)

func ExampleWebhookHandler() {
	const secret = "the-signing-secret-from-cartevo"
	got := make(chan string, 1)
	app := httptest.NewServer(cartevo.WebhookHandler(secret, func(ctx context.Context, e cartevo.Event) error {
		p, err := e.Payment()
		if err != nil {
			return err
		}
		got <- fmt.Sprint(e.Type, " ", p.Amount, " ", p.Currency)
		return nil
	}))
	defer app.Close()
	srv := cartevotest.NewServer(cartevotest.WithWebhook(app.URL, secret))
	defer srv.Close()

	srv.CollectPayment(1000, "XAF", "mtn", "237600000000")
	fmt.Println(<-got)
	// Output: payment.collect 1000 XAF
}
