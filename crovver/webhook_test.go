package crovver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
)

// docActivated is PROVIDERS.md's subscription.activated example, with its
// elided ids filled in.
const docActivated = `{"id":"a1b2c3d4-e5f6-7890-abcd-ef0123456789","type":"subscription.activated","created_at":"2026-06-07T10:00:00.000Z","org_id":"org_123",
 "data":{"id":"sub_123","status":"active","plan_id":"plan_456","billing_mode":"recurring","external_tenant_id":"your_user_id_123",
 "tenant_name":"Acme Corp","current_period_start":"2026-06-07T00:00:00Z","current_period_end":"2026-07-07T00:00:00Z",
 "capacity_units":5,"created_at":"2026-06-01T00:00:00Z","updated_at":"2026-06-07T10:00:00Z"}}`

func TestVerifyWebhookDocExample(t *testing.T) {
	const secret = "whsec_crovver_literal_bytes"
	body := []byte(docActivated)
	h := crovvertest.SignBody(secret, "subscription.activated", body)
	e, err := crovver.VerifyWebhook(secret, h, body)
	require.NoError(t, err)
	assert.Equal(t, "a1b2c3d4-e5f6-7890-abcd-ef0123456789", e.ID)
	assert.Equal(t, crovver.EventSubscriptionActivated, e.Type)
	assert.Equal(t, "org_123", e.OrgID)
	assert.Equal(t, time.Date(2026, 6, 7, 10, 0, 0, 0, time.UTC), e.CreatedAt)
	sub, err := e.Subscription()
	require.NoError(t, err)
	assert.Equal(t, "your_user_id_123", sub.ExternalTenantID)
	assert.Equal(t, "plan_456", sub.PlanID)
	assert.Equal(t, "active", sub.Status)
	assert.Equal(t, 5, sub.CapacityUnits)
	assert.Equal(t, time.Date(2026, 7, 7, 0, 0, 0, 0, time.UTC), sub.CurrentPeriodEnd)

	// the secret is used as its literal bytes, not decoded
	_, err = crovver.VerifyWebhook("d2hzZWNfY3JvdnZlcl9saXRlcmFsX2J5dGVz", h, body)
	assert.ErrorIs(t, err, crovver.ErrWebhookSignature)

	test := []byte(`{"id":"t1","type":"webhook.test","created_at":"2026-06-07T10:00:00Z","data":{}}`)
	e, err = crovver.VerifyWebhook(secret, crovvertest.SignBody(secret, "webhook.test", test), test)
	require.NoError(t, err)
	_, err = e.Subscription()
	assert.ErrorIs(t, err, crovver.ErrWebhookPayload)
}

// receiver serves a WebhookHandler on loopback and collects the events.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events []crovver.Event
	seen   chan crovver.Event
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{seen: make(chan crovver.Event, 16)}
	r.srv = httptest.NewServer(crovver.WebhookHandler(secret, func(_ context.Context, e crovver.Event) error {
		r.mu.Lock()
		r.events = append(r.events, e)
		r.mu.Unlock()
		r.seen <- e
		return nil
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) next(t *testing.T) crovver.Event {
	t.Helper()
	select {
	case e := <-r.seen:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook arrived")
		return crovver.Event{}
	}
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// TestFakeCheckoutFiresVerifiedWebhooks walks the whole loop on the fake:
// checkout token, pricing page, subscribe; the receiver gets
// subscription.created then .activated, signed as Crovver signs; the status
// calls agree; the billing page's cancel fires subscription.canceled.
func TestFakeCheckoutFiresVerifiedWebhooks(t *testing.T) {
	const secret = "crovver-endpoint-secret"
	recv := newReceiver(t, secret)
	srv := crovvertest.NewServer(crovvertest.WithWebhook(recv.srv.URL, secret))
	defer srv.Close()
	client, err := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer client.Close()
	ctx := context.Background()

	tok, err := client.CheckoutToken(ctx, crovver.CheckoutTokenRequest{
		ExternalTenantID: "tenant_42", ExternalTenantName: "Acme", ReturnURL: "http://127.0.0.1:1/back",
	})
	require.NoError(t, err)
	st, err := client.SubscriptionStatus(ctx, "tenant_42")
	require.NoError(t, err)
	assert.False(t, st.Active)
	assert.Equal(t, crovver.StatusNone, st.Status, "checked out, not yet subscribed")

	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(tok.CheckoutURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = browser.PostForm(srv.URL()+"/pricing/subscribe", url.Values{"token": {tok.Token}, "plan": {"pro"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	created, activated := recv.next(t), recv.next(t)
	assert.Equal(t, crovver.EventSubscriptionCreated, created.Type)
	assert.Equal(t, crovver.EventSubscriptionActivated, activated.Type)
	assert.NotEqual(t, created.ID, activated.ID)
	sub, err := activated.Subscription()
	require.NoError(t, err)
	assert.Equal(t, "tenant_42", sub.ExternalTenantID)
	assert.Equal(t, crovvertest.PlanID("pro"), sub.PlanID)
	assert.Equal(t, "Acme", sub.TenantName)
	assert.Equal(t, crovvertest.OrgID, activated.OrgID)

	ds, err := srv.WaitDeliveries(ctx, 2)
	require.NoError(t, err)
	for _, d := range ds {
		assert.Equal(t, http.StatusOK, d.Status)
		assert.Equal(t, "Crovver-Webhook/1.0", d.Header.Get("User-Agent"))
		assert.Equal(t, d.Type, d.Header.Get("X-Crovver-Event"))
	}

	st, err = client.SubscriptionStatus(ctx, "tenant_42")
	require.NoError(t, err)
	assert.True(t, st.Active)
	assert.Equal(t, crovver.StatusActive, st.Status)
	require.NotNil(t, st.Plan)
	assert.Equal(t, crovvertest.PlanID("pro"), st.Plan.ID)
	acc, err := client.CanAccess(ctx, crovver.CanAccessRequest{RequestingEntityID: "tenant_42", FeatureKey: "reports"})
	require.NoError(t, err)
	assert.True(t, acc.CanAccess)

	// Crovver's dashboard Retry resends the same id: answered, not handled
	d := srv.Redeliver(ctx, ds[1])
	assert.Equal(t, http.StatusOK, d.Status)
	assert.Equal(t, 2, recv.count())

	// a tampered copy of a real delivery is refused
	forged := bytes.Replace(ds[1].Body, []byte(`"plan_pro"`), []byte(`"plan_enterprise"`), 1)
	d = srv.Redeliver(ctx, crovvertest.Delivery{URL: ds[1].URL, Type: ds[1].Type, Header: ds[1].Header, Body: forged})
	assert.Equal(t, http.StatusUnauthorized, d.Status)

	// the billing page's Cancel fires subscription.canceled
	portal, err := client.PortalToken(ctx, crovver.PortalTokenRequest{ExternalTenantID: "tenant_42", ReturnURL: "http://127.0.0.1:1/back"})
	require.NoError(t, err)
	page, err := browser.Get(portal.PortalURL)
	require.NoError(t, err)
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	assert.Contains(t, string(html), `id="cancel"`)
	resp, err = browser.PostForm(srv.URL()+"/billing/cancel", url.Values{"token": {portal.Token}})
	require.NoError(t, err)
	resp.Body.Close()
	canceled := recv.next(t)
	assert.Equal(t, crovver.EventSubscriptionCanceled, canceled.Type)
	sub, err = canceled.Subscription()
	require.NoError(t, err)
	assert.Equal(t, "canceled", sub.Status)
	st, err = client.SubscriptionStatus(ctx, "tenant_42")
	require.NoError(t, err)
	assert.False(t, st.Active)
	assert.Equal(t, crovver.StatusCanceled, st.Status)
	acc, err = client.CanAccess(ctx, crovver.CanAccessRequest{RequestingEntityID: "tenant_42"})
	require.NoError(t, err)
	assert.False(t, acc.CanAccess)

	_, err = client.SubscriptionStatus(ctx, "nobody")
	assert.ErrorIs(t, err, crovver.ErrTenantNotFound)
}

func TestFakeWebhooksHeldAndByHand(t *testing.T) {
	const secret = "s3cret-for-held"
	recv := newReceiver(t, secret)
	srv := crovvertest.NewServer(crovvertest.WithWebhook(recv.srv.URL, secret), crovvertest.WithWebhooksHeld())
	defer srv.Close()
	ctx := context.Background()

	d, err := srv.SendWebhook(ctx, crovver.EventWebhookTest, map[string]any{})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, d.Status)
	assert.Equal(t, crovver.EventWebhookTest, recv.next(t).Type)

	assert.True(t, srv.CancelSubscription("t") == false)
	srv2 := crovvertest.NewServer(crovvertest.WithSubscription("t1", "pro"), crovvertest.WithWebhook(recv.srv.URL, secret), crovvertest.WithWebhooksHeld())
	defer srv2.Close()
	require.True(t, srv2.CancelSubscription("t1"))
	assert.Equal(t, []string{crovver.EventSubscriptionCanceled}, srv2.PendingWebhooks())
	assert.Equal(t, 1, recv.count(), "held")
	require.NoError(t, srv2.FlushWebhooks(ctx))
	assert.Equal(t, crovver.EventSubscriptionCanceled, recv.next(t).Type)

	none := crovvertest.NewServer()
	defer none.Close()
	_, err = none.SendWebhook(ctx, "x", nil)
	assert.Error(t, err, "no URL configured")
	// a receiver that starts after the fake
	require.NoError(t, none.SetWebhook(recv.srv.URL, secret))
	d, err = none.SendWebhook(ctx, crovver.EventWebhookTest, map[string]any{})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, d.Status)
	assert.Equal(t, crovver.EventWebhookTest, recv.next(t).Type)
}

func TestStatusContract(t *testing.T) {
	c, mt, _ := mockClient(t)
	ctx := context.Background()
	mt.RegisterResponder(http.MethodGet, "https://app.crovver.com/api/public/subscriptions/status",
		func(r *http.Request) (*http.Response, error) {
			assert.Equal(t, publicKey, r.Header.Get("x-public-key"))
			assert.Equal(t, url.Values{"tenantId": {"your_user_id_123"}, "productSlug": {"main"}}, r.URL.Query())
			assert.NotContains(t, r.URL.String(), publicKey)
			return httpmock.NewStringResponse(200, `{"success":true,"data":{"active":true,"status":"trial","tenant":{"id":"t_1","externalTenantId":"your_user_id_123","name":"Acme Corp"},"plan":{"id":"plan_456","name":"Pro","slug":"pro"},"trialEndsAt":"2026-07-01T00:00:00Z"}}`), nil
		})
	st, err := c.SubscriptionStatus(ctx, "your_user_id_123", crovver.WithProductSlug("main"))
	require.NoError(t, err)
	assert.True(t, st.Active)
	assert.Equal(t, crovver.StatusTrial, st.Status)
	assert.Equal(t, "plan_456", st.Plan.ID)
	assert.Equal(t, "Acme Corp", st.Tenant.Name)
	assert.Contains(t, string(st.Raw), "trialEndsAt")

	// a bare answer (no envelope) reads the same; an empty slug, as
	// crovver-react's, asks for no product
	mt.RegisterResponder(http.MethodGet, "https://app.crovver.com/api/public/subscriptions/status",
		func(r *http.Request) (*http.Response, error) {
			assert.Equal(t, url.Values{"tenantId": {"t"}}, r.URL.Query())
			return httpmock.NewStringResponse(200, `{"active":false,"status":"none"}`), nil
		})
	st, err = c.SubscriptionStatus(ctx, "t", crovver.WithProductSlug(""))
	require.NoError(t, err)
	assert.Equal(t, crovver.StatusNone, st.Status)

	mt.RegisterResponder(http.MethodGet, "https://app.crovver.com/api/public/subscriptions/status",
		httpmock.NewStringResponder(404, docError("Tenant not found", "TENANT_NOT_FOUND")))
	_, err = c.SubscriptionStatus(ctx, "t")
	assert.ErrorIs(t, err, crovver.ErrTenantNotFound)
	mt.RegisterResponder(http.MethodGet, "https://app.crovver.com/api/public/subscriptions/status",
		httpmock.NewStringResponder(401, docError("Invalid public key", "INVALID_PUBLIC_KEY")))
	_, err = c.SubscriptionStatus(ctx, "t")
	assert.ErrorIs(t, err, crovver.ErrUnauthorized)
	assert.NotContains(t, err.Error(), publicKey)
	mt.RegisterResponder(http.MethodGet, "https://app.crovver.com/api/public/subscriptions/status",
		httpmock.NewStringResponder(200, `{"success":true,"data":{"active":true}}`))
	_, err = c.SubscriptionStatus(ctx, "t")
	assert.ErrorIs(t, err, crovver.ErrUnexpectedResponse, "no status")

	before := mt.GetTotalCallCount()
	_, err = c.SubscriptionStatus(ctx, " ")
	assert.ErrorIs(t, err, crovver.ErrInvalidRequest)
	assert.Equal(t, before, mt.GetTotalCallCount(), "nothing sent")
}

func TestCanAccessContract(t *testing.T) {
	c, mt, _ := mockClient(t)
	ctx := context.Background()
	mt.RegisterResponder(http.MethodPost, "https://app.crovver.com/api/public/can-access",
		func(r *http.Request) (*http.Response, error) {
			assert.Equal(t, publicKey, r.Header.Get("x-public-key"))
			assert.Empty(t, r.URL.RawQuery)
			var body map[string]any
			require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
			assert.Equal(t, map[string]any{"requestingEntityId": "your_user_id_123", "featureKey": "seats", "amount": 3.0}, body)
			return httpmock.NewStringResponse(200, `{"success":true,"data":{"canAccess":false,"reason":"limit reached","limit":5,"used":5}}`), nil
		})
	amount := 3.0
	a, err := c.CanAccess(ctx, crovver.CanAccessRequest{RequestingEntityID: "your_user_id_123", FeatureKey: "seats", Amount: &amount})
	require.NoError(t, err)
	assert.False(t, a.CanAccess)
	assert.Equal(t, "limit reached", a.Reason)
	assert.Contains(t, string(a.Raw), `"limit":5`)

	mt.RegisterResponder(http.MethodPost, "https://app.crovver.com/api/public/can-access",
		httpmock.NewStringResponder(200, `{"success":false,"data":null,"error":{"message":"Missing","code":"MISSING_REQUIRED_FIELDS"}}`))
	_, err = c.CanAccess(ctx, crovver.CanAccessRequest{RequestingEntityID: "x"})
	assert.ErrorIs(t, err, crovver.ErrInvalidRequest, "a 2xx with success false is an error")
	_, err = c.CanAccess(ctx, crovver.CanAccessRequest{})
	assert.ErrorIs(t, err, crovver.ErrInvalidRequest)
}

// TestFakeMintNotBlockedByStalledBody: one client stalling mid-body must
// not hold the fake's lock (issue 20, item 12).
func TestFakeMintNotBlockedByStalledBody(t *testing.T) {
	srv := crovvertest.NewServer()
	defer srv.Close()
	u, _ := url.Parse(srv.URL())
	conn, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("POST /api/public/auth/checkout-token HTTP/1.1\r\nHost: " + u.Host +
		"\r\nx-public-key: " + crovvertest.PublicKey + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"externalTenantId\":"))
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond) // the stalled request is inside the handler

	client, err := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = client.CheckoutToken(ctx, crovver.CheckoutTokenRequest{ExternalTenantID: "t", ReturnURL: "https://example.com/back"})
	require.NoError(t, err, "a stalled body blocked another client's mint")
}
