package crovver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
)

// A backend marks the plan active when subscription.activated arrives, not
// when the browser returns. Here the fake Crovver fires the webhook.
func ExampleWebhookHandler() {
	const secret = "the-secret-from-crovver's-dashboard"
	activated := make(chan string, 1)
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/crovver", crovver.WebhookHandler(secret, func(ctx context.Context, e crovver.Event) error {
		if e.Type != crovver.EventSubscriptionActivated {
			return nil
		}
		sub, err := e.Subscription()
		if err != nil {
			return err
		}
		activated <- sub.ExternalTenantID + " on " + sub.PlanID // in production: update the database
		return nil
	}))
	app := httptest.NewServer(mux)
	defer app.Close()

	srv := crovvertest.NewServer(crovvertest.WithWebhook(app.URL+"/webhooks/crovver", secret))
	defer srv.Close()
	d, err := srv.SendWebhook(context.Background(), crovver.EventSubscriptionActivated, map[string]any{
		"id": "sub_1", "status": "active", "plan_id": "plan_pro", "external_tenant_id": "tenant_42",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Status, <-activated)
	// Output: 200 tenant_42 on plan_pro
}

func ExampleVerifyWebhook() {
	const secret = "the-secret-from-crovver's-dashboard"
	h, body, _ := crovvertest.SignWebhook(secret, crovver.EventSubscriptionCanceled, map[string]any{"external_tenant_id": "tenant_42", "status": "canceled"}, time.Now())
	e, err := crovver.VerifyWebhook(secret, h, body)
	fmt.Println(e.Type, err)
	_, err = crovver.VerifyWebhook(secret, h, append(body, ' '))
	fmt.Println(err)
	// Output:
	// subscription.canceled <nil>
	// crovver webhook: webhook signature missing or invalid: X-Crovver-Signature missing or not the body's
}

// After the redirect, a backend asks Crovver (not the browser) whether the
// tenant's plan is active.
func ExampleClient_SubscriptionStatus() {
	srv := crovvertest.NewServer(crovvertest.WithSubscription("tenant_42", "pro"))
	defer srv.Close()
	client, _ := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(srv.URL()))
	defer client.Close()

	st, err := client.SubscriptionStatus(context.Background(), "tenant_42")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Active, st.Status, st.Plan.ID)
	acc, _ := client.CanAccess(context.Background(), crovver.CanAccessRequest{RequestingEntityID: "tenant_42", FeatureKey: "reports"})
	fmt.Println("can access reports:", acc.CanAccess)
	// Output:
	// true active plan_pro
	// can access reports: true
}
