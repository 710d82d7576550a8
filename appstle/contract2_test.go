package appstle_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/appstle"
)

// ValidContracts takes "12345" or "gid://shopify/Customer/12345"
// (PROVIDERS.md: GET /api/external/v2/subscription-customers/valid/{customerId};
// the customer id forms of the token endpoint's query); anything else is a
// FieldError naming customerID, before any request. A malformed GID must
// never be read as another customer's id: "gid://shopify/Customer/12345/67"
// asked Appstle for customer 67's contracts.
func TestContract2ValidContractsRefusesMalformedCustomerIDs(t *testing.T) {
	for _, id := range []string{
		"gid://shopify/Customer/12345/67",
		"gid://shopify/Customer/abc/12345",
		"gid://shopify/Customer//12345",
		"+12345",
	} {
		t.Run(id, func(t *testing.T) {
			c, mt, _ := mockClient(t)
			ids, err := c.ValidContracts(context.Background(), id)
			assert.Nil(t, ids)
			require.ErrorIs(t, err, appstle.ErrInvalidRequest)
			var fe *appstle.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			assert.Equal(t, "customerID", fe.Field)
			assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent")
		})
	}
}
