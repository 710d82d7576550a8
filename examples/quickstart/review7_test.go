package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
)

// With real Appstle credentials the quickstart mints for the customer in
// APPSTLE_CUSTOMER_ID, and its "same customer, numeric" step asks again
// for that customer, not for the fake's 12345 (a shop without a customer
// 12345 made the quickstart fail with 404; one with it, mint a stranger's
// portal token).
func TestQuickstartAppstleUsesTheCustomerOfTheEnvironment(t *testing.T) {
	as := appstletest.NewServer(appstletest.WithCustomer(777, "bob@example.com"))
	defer as.Close()
	for _, customer := range []string{"777", "gid://shopify/Customer/777"} {
		env := map[string]string{
			"APPSTLE_API_KEY": appstletest.APIKey, "APPSTLE_CUSTOMER_ID": customer,
			"APPSTLE_SHOP": as.URL(), "APPSTLE_BASE_URL": as.URL(),
		}
		var out bytes.Buffer
		err := runAppstle(context.Background(), &printer{w: &out}, func(k string) string { return env[k] })
		require.NoError(t, err, "%s: %s", customer, out.String())
		assert.Contains(t, out.String(), "CustomerID: 777", customer)
		assert.Contains(t, out.String(), "reused: true", customer)
	}
	assert.Equal(t, 2, as.PortalTokens(), "one mint per run: no token for another customer")
}
