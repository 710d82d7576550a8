package crovver_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/crovver"
)

// An id made only of Unicode spaces (no-break space, line separator,
// ideographic space) is as empty as " ": SubscriptionStatus and CanAccess
// refuse it with a FieldError naming the parameter before any request, as
// CheckoutToken already does for ExternalTenantID. Before, "\u00a0" went
// out as tenantId=%C2%A0.
func TestStatusRefusesUnicodeWhitespaceIDs(t *testing.T) {
	for _, id := range []string{"\u00a0", "\u2028", "\u3000", " \u00a0\u2003"} {
		c, mt, _ := mockClient(t)
		ctx := context.Background()

		_, err := c.SubscriptionStatus(ctx, id)
		var fe *crovver.FieldError
		require.True(t, errors.As(err, &fe), "SubscriptionStatus(%q): %v", id, err)
		assert.Equal(t, "tenantID", fe.Field)

		_, err = c.CanAccess(ctx, crovver.CanAccessRequest{RequestingEntityID: id})
		require.True(t, errors.As(err, &fe), "CanAccess(%q): %v", id, err)
		assert.Equal(t, "RequestingEntityID", fe.Field)

		_, err = c.CheckoutToken(ctx, crovver.CheckoutTokenRequest{ExternalTenantID: id, ReturnURL: "https://a.example/"})
		assert.ErrorIs(t, err, crovver.ErrInvalidRequest, "the mint refuses it too")
		assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent for %q", id)
	}
}

// The optional ids of the status and can-access calls (productSlug,
// featureKey) are checked like the required ones when given: whitespace
// only or a control character is a FieldError naming the field (the
// option's name for WithProductSlug), before any request. Before, "pro\n"
// went out as productSlug=pro%0A and " " as featureKey " ": Crovver scopes
// the answer to a product or feature that does not exist, and the tenant
// reads as unsubscribed or denied.
func TestStatusRefusesBadOptionalIDs(t *testing.T) {
	ctx := context.Background()
	for _, bad := range []string{" ", "\u00a0", "pro\n", "pro\x00"} {
		c, mt, _ := mockClient(t)
		var fe *crovver.FieldError

		_, err := c.SubscriptionStatus(ctx, "t1", crovver.WithProductSlug(bad))
		require.True(t, errors.As(err, &fe), "WithProductSlug(%q): %v", bad, err)
		assert.Equal(t, "WithProductSlug", fe.Field)

		_, err = c.CanAccess(ctx, crovver.CanAccessRequest{RequestingEntityID: "t1", FeatureKey: bad})
		require.True(t, errors.As(err, &fe), "FeatureKey %q: %v", bad, err)
		assert.Equal(t, "FeatureKey", fe.Field)

		_, err = c.CanAccess(ctx, crovver.CanAccessRequest{RequestingEntityID: "t1", ProductSlug: bad})
		require.True(t, errors.As(err, &fe), "ProductSlug %q: %v", bad, err)
		assert.Equal(t, "ProductSlug", fe.Field)
		assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent for %q", bad)
	}
}
