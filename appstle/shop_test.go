package appstle_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
)

func TestWithShopDomainIsValidatedInNew(t *testing.T) {
	for _, shop := range []string{"", "http://shop.example.com", "https://mystore.myshopify.com", "mystore", "mystore.myshopify.com/x"} {
		_, err := appstle.New(appstletest.APIKey, appstle.WithShopDomain(shop))
		var fe *appstle.FieldError
		require.ErrorAs(t, err, &fe, shop)
		assert.Equal(t, "WithShopDomain", fe.Field, shop)
		assert.ErrorIs(t, err, appstle.ErrInvalidRequest)
	}
	for _, shop := range []string{appstletest.Shop, "http://127.0.0.1:7402"} {
		c, err := appstle.New(appstletest.APIKey, appstle.WithShopDomain(shop))
		require.NoError(t, err, shop)
		c.Close()
	}
}

func TestPortalTokenCarriesPortalURLWithShopDomain(t *testing.T) {
	srv := appstletest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	req := appstle.PortalTokenRequest{CustomerID: "12345"}

	plain, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer plain.Close()
	tok, err := plain.CustomerPortalToken(ctx, req)
	require.NoError(t, err)
	assert.Empty(t, tok.PortalURL, "no shop configured, no URL")

	shop, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()), appstle.WithShopDomain(appstletest.Shop))
	require.NoError(t, err)
	defer shop.Close()
	for _, get := range []func(context.Context, appstle.PortalTokenRequest) (*appstle.PortalToken, error){shop.CustomerPortalToken, shop.PortalToken} {
		tok, err := get(ctx, req)
		require.NoError(t, err)
		want, err := appstle.PortalURL(appstletest.Shop, tok.Token)
		require.NoError(t, err)
		assert.Equal(t, want, tok.PortalURL)

		// The URL carries the token: no printed or logged form shows either.
		var logs bytes.Buffer
		slog.New(slog.NewJSONHandler(&logs, nil)).Info("minted", "tok", tok, "val", *tok)
		for _, out := range []string{
			fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s", *tok, *tok, *tok, *tok), fmt.Sprintf("%#v", tok), logs.String(),
		} {
			assert.NotContains(t, out, tok.Token)
			assert.NotContains(t, out, tok.PortalURL)
			assert.NotContains(t, out, "customer_portal")
		}
	}
}

func TestPortalRedirectHandlerEmptyShopMeansConfigured(t *testing.T) {
	srv := appstletest.NewServer()
	defer srv.Close()
	resolve := func(*http.Request) (appstle.PortalTokenRequest, error) {
		return appstle.PortalTokenRequest{CustomerID: "12345"}, nil
	}

	c, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()), appstle.WithShopDomain(srv.URL()))
	require.NoError(t, err)
	defer c.Close()
	rec := httptest.NewRecorder()
	c.PortalRedirectHandler("", resolve).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/portal", nil))
	require.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Contains(t, rec.Header().Get("Location"), srv.URL()+appstle.DefaultPortalPath+"?token=")

	// An explicit shopDomain still wins over the configured one.
	rec = httptest.NewRecorder()
	c.PortalRedirectHandler(appstletest.Shop, resolve).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/portal", nil))
	require.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Contains(t, rec.Header().Get("Location"), "https://"+appstletest.Shop+appstle.DefaultPortalPath+"?token=")

	bare, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer bare.Close()
	assert.PanicsWithValue(t, "appstle.PortalRedirectHandler: no shopDomain: pass one, or make the client with WithShopDomain", func() {
		bare.PortalRedirectHandler("", resolve)
	})
}

// The fake's 0.2 counter keeps working beside the name every fake shares.
func TestFakeTokensIsPortalTokens(t *testing.T) {
	srv := appstletest.NewServer()
	defer srv.Close()
	c, err := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.PortalToken(context.Background(), appstle.PortalTokenRequest{Email: appstletest.Email})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.PortalTokens())
	assert.Equal(t, 1, srv.Tokens())
}
