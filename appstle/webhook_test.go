package appstle_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// toStandard copies Svix's headers to the webhook-* names the Standard
// Webhooks library reads.
func toStandard(h http.Header) http.Header {
	out := http.Header{}
	for _, n := range []string{"id", "timestamp", "signature"} {
		out.Set("webhook-"+n, h.Get("svix-"+n))
	}
	return out
}

// TestCrossCheckStandardWebhooks: what the fake signs verifies with the
// Standard Webhooks library, and what the library signs verifies with
// VerifyWebhook; a tampered delivery fails both.
func TestCrossCheckStandardWebhooks(t *testing.T) {
	secret := appstletest.WebhookSecret
	lib, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)

	h, body, err := appstletest.SignWebhook(secret, appstle.EventSubscriptionCreated, map[string]any{"id": "gid://shopify/SubscriptionContract/123"}, time.Now())
	require.NoError(t, err)
	require.NoError(t, lib.Verify(body, toStandard(h)), "the fake signs as Svix does")
	e, err := appstle.VerifyWebhook(secret, h, body)
	require.NoError(t, err)
	assert.Equal(t, h.Get("svix-id"), e.ID)
	assert.Equal(t, appstle.EventSubscriptionCreated, e.Type)
	assert.WithinDuration(t, time.Now(), e.CreatedAt, 2*time.Second)

	// the library's own signature, over a body with the documented shape
	doc := []byte(`{"type":"subscription.billing-success","data":{"contractId":123,"status":"SUCCESS"}}`)
	now := time.Now()
	sig, err := lib.Sign("msg_2abc", now, doc)
	require.NoError(t, err)
	svix := http.Header{"Svix-Id": {"msg_2abc"}, "Svix-Timestamp": {itoa(now.Unix())}, "Svix-Signature": {sig}}
	e, err = appstle.VerifyWebhook(secret, svix, doc)
	require.NoError(t, err)
	c, err := e.Contract()
	require.NoError(t, err)
	assert.EqualValues(t, 123, c.ContractID)
	// Standard Webhooks' own header names are read too
	e2, err := appstle.VerifyWebhook(secret, toStandard(svix), doc)
	require.NoError(t, err)
	assert.Equal(t, e.ID, e2.ID)

	tampered := []byte(strings.Replace(string(doc), "123", "124", 1))
	assert.Error(t, lib.Verify(tampered, toStandard(svix)))
	_, err = appstle.VerifyWebhook(secret, svix, tampered)
	assert.ErrorIs(t, err, appstle.ErrWebhookSignature)

	// stale: the library and VerifyWebhook agree
	old := now.Add(-6 * time.Minute)
	sig, _ = lib.Sign("msg_old", old, doc)
	stale := http.Header{"Svix-Id": {"msg_old"}, "Svix-Timestamp": {itoa(old.Unix())}, "Svix-Signature": {sig}}
	assert.Error(t, lib.Verify(doc, toStandard(stale)))
	_, err = appstle.VerifyWebhook(secret, stale, doc)
	assert.ErrorIs(t, err, appstle.ErrWebhookTimestamp)

	// an empty secret: the library's v0.0.1 accepts it, VerifyWebhook does not
	_, err = appstle.VerifyWebhook("", svix, doc)
	assert.ErrorIs(t, err, appstle.ErrWebhookSignature)
	_, err = appstle.VerifyWebhook("whsec_", svix, doc)
	assert.ErrorIs(t, err, appstle.ErrWebhookSignature)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestContractAccessor(t *testing.T) {
	for _, tc := range []struct {
		data     string
		id       int64
		customer int64
	}{
		{`{"id":"gid://shopify/SubscriptionContract/123","status":"ACTIVE","customer":{"id":"gid://shopify/Customer/12345"}}`, 123, 12345},
		{`{"contractId":456,"customerId":12345}`, 456, 12345},
		{`{"contractId":"789"}`, 789, 0},
	} {
		c, err := appstle.Event{Type: "subscription.updated", Data: []byte(tc.data)}.Contract()
		require.NoError(t, err, tc.data)
		assert.Equal(t, tc.id, c.ContractID)
		assert.Equal(t, tc.customer, c.CustomerID)
	}
	for _, bad := range []string{`{}`, `{"id":"gid://shopify/Order/1"}`, `[]`, `{"contractId":-1}`} {
		_, err := appstle.Event{Data: []byte(bad)}.Contract()
		assert.ErrorIs(t, err, appstle.ErrWebhookPayload, bad)
	}
}

// TestFakeContractsFireWebhooks: the fake's contract events reach the
// receiver verified, and ValidContracts agrees with them.
func TestFakeContractsFireWebhooks(t *testing.T) {
	events := make(chan appstle.Event, 8)
	recv := httptest.NewServer(appstle.WebhookHandler(appstletest.WebhookSecret, func(_ context.Context, e appstle.Event) error {
		events <- e
		return nil
	}))
	defer recv.Close()
	srv := appstletest.NewServer(appstletest.WithWebhook(recv.URL, ""))
	defer srv.Close()
	client, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()), appstle.WithAppKey("partner_app_key_1234"))
	require.NoError(t, err)
	defer client.Close()
	ctx := context.Background()

	ids, err := client.ValidContracts(ctx, "gid://shopify/Customer/12345")
	require.NoError(t, err)
	assert.Empty(t, ids)

	id := srv.CreateContract(appstletest.CustomerID)
	next := func() appstle.Event {
		select {
		case e := <-events:
			return e
		case <-time.After(5 * time.Second):
			t.Fatal("no webhook")
			return appstle.Event{}
		}
	}
	created, activated := next(), next()
	assert.Equal(t, appstle.EventSubscriptionCreated, created.Type)
	assert.Equal(t, appstle.EventSubscriptionActivated, activated.Type)
	c, err := activated.Contract()
	require.NoError(t, err)
	assert.Equal(t, id, c.ContractID)
	assert.EqualValues(t, appstletest.CustomerID, c.CustomerID)
	assert.Equal(t, "ACTIVE", c.Status)

	ids, err = client.ValidContracts(ctx, "12345")
	require.NoError(t, err)
	assert.Equal(t, []int64{id}, ids)
	assert.Contains(t, srv.AppKeys(), "partner_app_key_1234")

	require.True(t, srv.CancelContract(id))
	cancelled := next()
	assert.Equal(t, appstle.EventSubscriptionCancelled, cancelled.Type)
	ids, err = client.ValidContracts(ctx, "12345")
	require.NoError(t, err)
	assert.Empty(t, ids)

	// Svix's retry of a delivery: same svix-id, answered without a second call
	ds, err := srv.WaitDeliveries(ctx, 3)
	require.NoError(t, err)
	require.Len(t, ds, 3)
	assert.Equal(t, appstle.EventSubscriptionActivated, ds[1].Type)
	d := srv.Redeliver(ctx, ds[0])
	assert.Equal(t, http.StatusOK, d.Status)
	select {
	case e := <-events:
		t.Fatalf("handled twice: %v", e.Type)
	case <-time.After(50 * time.Millisecond):
	}

	assert.Error(t, srv.SetWebhook(recv.URL, "not-a-svix-secret!"))
	require.NoError(t, srv.SetWebhook("", ""))
	srv.CreateContract(appstletest.CustomerID)
	assert.Len(t, srv.Deliveries(), 4, "no URL: nothing fired")

	_, err = client.ValidContracts(ctx, "gid://shopify/Order/1")
	assert.ErrorIs(t, err, appstle.ErrInvalidRequest)
}

func TestValidContractsContract(t *testing.T) {
	mt := httpmock.NewMockTransport()
	cache := tokencache.New()
	defer cache.Close()
	c, err := appstle.New(apiKey, appstle.WithHTTPClient(&http.Client{Transport: mt}), appstle.WithCache(cache), appstle.WithAppKey("app_key_SECRET_42"))
	require.NoError(t, err)
	mt.RegisterResponder(http.MethodGet, "https://subscription-admin.appstle.com/api/external/v2/subscription-customers/valid/12345",
		func(r *http.Request) (*http.Response, error) {
			assert.Equal(t, apiKey, r.Header.Get("X-API-Key"))
			assert.Equal(t, "app_key_SECRET_42", r.Header.Get("X-App-Key"))
			assert.Empty(t, r.URL.RawQuery, "no key in the URL")
			return httpmock.NewStringResponse(200, `[101, 102]`), nil
		})
	ids, err := c.ValidContracts(context.Background(), "12345")
	require.NoError(t, err)
	assert.Equal(t, []int64{101, 102}, ids)

	// the app key goes with the portal-token call too
	mt.RegisterResponder(http.MethodGet, tokenURL, func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, "app_key_SECRET_42", r.Header.Get("X-App-Key"))
		return httpmock.NewStringResponse(200, docResponse), nil
	})
	_, _ = c.PortalToken(context.Background(), appstle.PortalTokenRequest{CustomerID: "12345"})
	assert.Equal(t, 1, mt.GetCallCountInfo()["GET "+tokenURL])

	mt.RegisterResponder(http.MethodGet, "https://subscription-admin.appstle.com/api/external/v2/subscription-customers/valid/12345",
		httpmock.NewStringResponder(401, `{"title":"Unauthorized","status":401,"detail":"Full authentication is required to access this resource"}`))
	_, err = c.ValidContracts(context.Background(), "12345")
	assert.ErrorIs(t, err, appstle.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "app_key_SECRET_42")
	assert.NotContains(t, c.String()+err.Error(), apiKey)
}
