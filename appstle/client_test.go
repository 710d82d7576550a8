package appstle_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var bg = context.Background()

func fakeClient(t *testing.T, srvOpts ...appstletest.Option) (*appstle.Client, *appstletest.Server, *fakeclock.Clock) {
	t.Helper()
	clk := fakeclock.New(time.Now().UTC().Truncate(time.Second)) // the fake's clock; the cache runs on its own
	srv := appstletest.NewServer(append([]appstletest.Option{appstletest.WithClock(clk.Now)}, srvOpts...)...)
	t.Cleanup(srv.Close)
	cache := tokencache.New()
	t.Cleanup(func() { cache.Close() })
	c, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()), appstle.WithCache(cache))
	require.NoError(t, err)
	return c, srv, clk
}

func TestValidationSendsNothing(t *testing.T) {
	c, srv, _ := fakeClient(t)
	for name, tc := range map[string]struct {
		r     appstle.PortalTokenRequest
		field string
	}{
		"neither":        {appstle.PortalTokenRequest{}, "CustomerID"},
		"both":           {appstle.PortalTokenRequest{CustomerID: "1", Email: "a@b.co"}, "CustomerID"},
		"other gid":      {appstle.PortalTokenRequest{CustomerID: "gid://shopify/Order/12345"}, "CustomerID"},
		"non-numeric":    {appstle.PortalTokenRequest{CustomerID: "12a45"}, "CustomerID"},
		"zero":           {appstle.PortalTokenRequest{CustomerID: "0"}, "CustomerID"},
		"negative":       {appstle.PortalTokenRequest{CustomerID: "-5"}, "CustomerID"},
		"plus sign":      {appstle.PortalTokenRequest{CustomerID: "+5"}, "CustomerID"},
		"overflow":       {appstle.PortalTokenRequest{CustomerID: "99999999999999999999"}, "CustomerID"},
		"spaces":         {appstle.PortalTokenRequest{CustomerID: " 12345"}, "CustomerID"},
		"empty gid":      {appstle.PortalTokenRequest{CustomerID: "gid://shopify/Customer/"}, "CustomerID"},
		"display name":   {appstle.PortalTokenRequest{Email: "Ada <ada@example.com>"}, "Email"},
		"two addresses":  {appstle.PortalTokenRequest{Email: "a@example.com, b@example.com"}, "Email"},
		"not an address": {appstle.PortalTokenRequest{Email: "ada"}, "Email"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.CustomerPortalToken(bg, tc.r)
			require.ErrorIs(t, err, appstle.ErrInvalidRequest)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
	_, err := c.ManageSubscriptionLink(bg, "abc")
	assert.ErrorIs(t, err, appstle.ErrInvalidRequest)
	assert.ErrorIs(t, c.SendPortalMagicLink(bg, "nope"), appstle.ErrInvalidRequest)
	assert.Equal(t, 0, srv.PortalTokens())
	_, err = appstle.New("")
	assert.ErrorIs(t, err, appstle.ErrInvalidRequest)
}

func TestTokenReusedPerCustomer(t *testing.T) {
	c, srv, clk := fakeClient(t, appstletest.WithCustomer(777, "bob@example.com"))
	a, err := c.CustomerPortalToken(bg, appstle.PortalTokenRequest{CustomerID: "12345"})
	require.NoError(t, err)
	assert.WithinDuration(t, clk.Now().Add(2*time.Hour), a.ExpiresAt, near, "exp claim")
	b, err := c.CustomerPortalToken(bg, appstle.PortalTokenRequest{CustomerID: "gid://shopify/Customer/12345"})
	require.NoError(t, err)
	assert.Equal(t, a.Token, b.Token, "gid and numeric are one customer")
	bob, err := c.CustomerPortalToken(bg, appstle.PortalTokenRequest{Email: "bob@example.com"})
	require.NoError(t, err)
	assert.Equal(t, int64(777), bob.CustomerID)
	bob2, err := c.CustomerPortalToken(bg, appstle.PortalTokenRequest{Email: "BOB@example.com"})
	require.NoError(t, err)
	assert.Equal(t, bob.Token, bob2.Token, "emails compare lower-cased")
	assert.Equal(t, 2, srv.PortalTokens())
}

// On the cache's production clock, in a synctest bubble: the fake stays
// outside with its own clock, and the client keeps no idle connection (a
// goroutine parked on a socket would keep the bubble's time from moving).
func TestTokenNeverHandedOutNearExpiry(t *testing.T) {
	clk := fakeclock.New(time.Now().UTC().Truncate(time.Second))
	srv := appstletest.NewServer(appstletest.WithClock(clk.Now))
	t.Cleanup(srv.Close)
	synctest.Test(t, func(t *testing.T) {
		c, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()),
			appstle.WithHTTPClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}))
		require.NoError(t, err)
		defer c.Close()
		a, err := c.PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "12345"})
		require.NoError(t, err)
		assert.Equal(t, time.Now().Add(2*time.Hour), a.ExpiresAt, "receipt + 2 h at the most")

		time.Sleep(2*time.Hour - 5*time.Second)
		clk.Add(2*time.Hour - 5*time.Second)
		b, err := c.PortalToken(bg, appstle.PortalTokenRequest{CustomerID: "12345"})
		require.NoError(t, err)
		assert.NotEqual(t, a.Token, b.Token, "never handed out within seconds of expiry")
		assert.Equal(t, time.Now().Add(2*time.Hour), b.ExpiresAt)
		assert.Equal(t, 2, srv.PortalTokens())
	})
}

func TestTimestampOnlyTokens(t *testing.T) {
	c, _, clk := fakeClient(t, appstletest.WithoutExpClaim())
	tok, err := c.CustomerPortalToken(bg, appstle.PortalTokenRequest{Email: appstletest.Email})
	require.NoError(t, err)
	assert.WithinDuration(t, clk.Now().Add(2*time.Hour), tok.ExpiresAt, near)
	assert.Equal(t, int64(appstletest.CustomerID), tok.CustomerID)
}

func TestPortalPageAcceptsToken(t *testing.T) {
	c, srv, _ := fakeClient(t)
	tok, err := c.CustomerPortalToken(bg, appstle.PortalTokenRequest{Email: appstletest.Email})
	require.NoError(t, err)
	resp, err := http.Get(srv.PortalPage(tok.Token))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(body), `<span id="customer">12345</span>`)

	link, err := appstle.PortalURL(appstletest.Shop, tok.Token)
	require.NoError(t, err)
	assert.Equal(t, "https://mystore.myshopify.com/tools/recurring/customer_portal?token="+tok.Token, link)
}

func TestErrorsFromFake(t *testing.T) {
	c, srv, _ := fakeClient(t)
	_, err := c.CustomerPortalToken(bg, appstle.PortalTokenRequest{CustomerID: "999"})
	require.ErrorIs(t, err, appstle.ErrNotFound)
	_, err = c.CustomerPortalToken(bg, appstle.PortalTokenRequest{CustomerID: "999"})
	require.ErrorIs(t, err, appstle.ErrNotFound)
	require.NotErrorIs(t, err, tokencache.ErrBackoff, "a 404 does not hold the customer back")

	bad, err := appstle.New("apst_WRONG_key_1", appstle.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer bad.Close()
	_, err = bad.CustomerPortalToken(bg, appstle.PortalTokenRequest{CustomerID: "12345"})
	require.ErrorIs(t, err, appstle.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "apst_WRONG_key_1")
}

func TestManageLinkAndMagicLink(t *testing.T) {
	c, srv, clk := fakeClient(t)
	l, err := c.ManageSubscriptionLink(bg, "gid://shopify/Customer/12345")
	require.NoError(t, err)
	assert.Equal(t, int64(12345), l.CustomerID)
	assert.True(t, strings.HasPrefix(l.Link, "https://mystore.myshopify.com/tools/recurring/customer_portal?token="))
	assert.WithinDuration(t, clk.Now().Add(2*time.Hour), l.ExpiresAt, near)
	_, err = c.ManageSubscriptionLink(bg, "5")
	assert.ErrorIs(t, err, appstle.ErrNotFound)

	require.NoError(t, c.SendPortalMagicLink(bg, appstletest.Email))
	assert.Equal(t, []string{appstletest.Email}, srv.MagicLinksSent(), "+ survived the query")
	assert.ErrorIs(t, c.SendPortalMagicLink(bg, "nobody@example.com"), appstle.ErrNotFound)
}

func TestPortalURL(t *testing.T) {
	u, err := appstle.PortalURL("MyStore.myshopify.com", "a+b/c=")
	require.NoError(t, err)
	assert.Equal(t, "https://mystore.myshopify.com/tools/recurring/customer_portal?token=a%2Bb%2Fc%3D", u)
	u, err = appstle.PortalURLWithPath("shop.example.com", "/a/portal", "t")
	require.NoError(t, err)
	assert.Equal(t, "https://shop.example.com/a/portal?token=t", u)

	for _, shop := range []string{"", "https://x.myshopify.com", "x.myshopify.com/path", "x.myshopify.com?q=1",
		"user@x.myshopify.com", "x .myshopify.com", "x.myshopify.com:443", "localhost", "-x.com", "x..com"} {
		_, err := appstle.PortalURL(shop, "t")
		assert.ErrorIs(t, err, appstle.ErrInvalidRequest, shop)
	}
	for _, path := range []string{"relative", "/a?b", "/a#b", "//evil.example/x"} {
		_, err := appstle.PortalURLWithPath("x.myshopify.com", path, "t")
		assert.ErrorIs(t, err, appstle.ErrInvalidRequest, path)
	}
	_, err = appstle.PortalURL("x.myshopify.com", "")
	assert.ErrorIs(t, err, appstle.ErrInvalidRequest)
}

func TestSecretsNeverPrinted(t *testing.T) {
	c, _, _ := fakeClient(t)
	tok, err := c.CustomerPortalToken(bg, appstle.PortalTokenRequest{Email: appstletest.Email})
	require.NoError(t, err)
	l, err := c.ManageSubscriptionLink(bg, "12345")
	require.NoError(t, err)
	for _, out := range []string{
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", *c), fmt.Sprintf("%#v", c),
		fmt.Sprintf("%v", tok), fmt.Sprintf("%+v", *tok), fmt.Sprintf("%#v", *tok),
		fmt.Sprintf("%v", l), fmt.Sprintf("%+v", *l), fmt.Sprintf("%#v", *l),
	} {
		assert.NotContains(t, out, appstletest.APIKey)
		assert.NotContains(t, out, tok.Token[:20])
		assert.NotContains(t, out, "token=")
	}
}

type badStore struct{ e tokencache.Entry }

func (s badStore) Load(context.Context, string) (tokencache.Entry, bool, error) {
	return s.e, true, nil
}
func (badStore) Save(context.Context, string, tokencache.Entry) error   { return nil }
func (badStore) Delete(context.Context, string, tokencache.Token) error { return nil }
func (badStore) TryLock(context.Context, string, time.Duration) (func(context.Context) error, bool, error) {
	return func(context.Context) error { return nil }, true, nil
}

func TestMalformedCachedValueIsAnErrorNotAPanic(t *testing.T) {
	srv := appstletest.NewServer()
	defer srv.Close()
	exp := time.Now().Add(time.Hour)
	cache := tokencache.New(tokencache.WithStore(badStore{tokencache.Entry{
		Token: tokencache.Token{Value: "12345\x00only-two-parts", ExpiresAt: exp}, RefreshAt: exp.Add(-5 * time.Minute),
	}}))
	defer cache.Close()
	c, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()), appstle.WithCache(cache))
	require.NoError(t, err)
	_, err = c.CustomerPortalToken(bg, appstle.PortalTokenRequest{CustomerID: "12345"})
	require.ErrorIs(t, err, appstle.ErrUnexpectedResponse)
}
