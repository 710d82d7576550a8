package appstle_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
)

// A delivery missing svix-id or svix-timestamp cannot be verified (both
// are signed): it fails as a signature does, as the error docs say.
func TestWebhookMissingSignedHeadersFailTheSignature(t *testing.T) {
	secret := appstletest.WebhookSecret
	h, body, err := appstletest.SignWebhook(secret, appstle.EventSubscriptionCreated, map[string]any{"id": "gid://shopify/SubscriptionContract/123"}, time.Now())
	require.NoError(t, err)
	for _, name := range []string{"svix-id", "svix-timestamp", "svix-signature"} {
		hh := h.Clone()
		hh.Del(name)
		_, err := appstle.VerifyWebhook(secret, hh, body)
		assert.ErrorIs(t, err, appstle.ErrWebhookSignature, name)
		assert.NotErrorIs(t, err, appstle.ErrWebhookTimestamp, name)
		assert.NotErrorIs(t, err, appstle.ErrWebhookPayload, name)
	}
}
