package appstletest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
)

// portal fetches the fake's portal page for the default customer, with
// query appended to its URL.
func portal(t *testing.T, s *appstletest.Server, query string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+"/api/external/v2/customer-portal-token?customerId="+strconv.Itoa(appstletest.CustomerID), nil)
	require.NoError(t, err)
	req.Header.Set("X-API-Key", appstletest.APIKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var tok struct{ Token string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()
	resp, err = http.Get(s.PortalPage(tok.Token) + query)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// The portal page looks like a provider's page marked FAKE, lists the
// customer's subscriptions (and only theirs), and links back only to a
// loopback app.
func TestPortalPageListsSubscriptionsAndLinksBack(t *testing.T) {
	s := appstletest.NewServer(appstletest.WithContract(appstletest.CustomerID, 1001), appstletest.WithContract(777, 1002))
	defer s.Close()
	id := s.CreateContract(appstletest.CustomerID)
	require.True(t, s.CancelContract(id))

	page := portal(t, s, "&return_url="+url.QueryEscape("http://127.0.0.1:8080/dashboard"))
	assert.Contains(t, page, `id="fake"`)
	assert.Contains(t, page, "FAKE Appstle")
	assert.Contains(t, page, "<style>")
	assert.Contains(t, page, `<span id="customer">12345</span>`)
	assert.Contains(t, page, "#1001")
	assert.Contains(t, page, "#"+strconv.FormatInt(id, 10))
	assert.Contains(t, page, "CANCELLED")
	assert.NotContains(t, page, "#1002", "another customer's subscription")
	assert.Contains(t, page, `<a id="return" href="http://127.0.0.1:8080/dashboard">`)

	for _, bad := range []string{
		"https://evil.example/phish", "//evil.example/", "javascript:alert(1)", "http://127.0.0.1.evil.example/",
		"http://user@evil.example/", "http://10.0.0.1/", "/relative",
	} {
		page := portal(t, s, "&return_url="+url.QueryEscape(bad))
		assert.NotContains(t, page, `id="return"`, bad)
		assert.NotContains(t, page, "evil.example", bad)
	}
	for _, good := range []string{"http://localhost:3000/account", "http://[::1]:9000/"} {
		assert.Contains(t, portal(t, s, "&return_url="+url.QueryEscape(good)), `id="return"`, good)
	}

	empty := appstletest.NewServer()
	defer empty.Close()
	assert.Contains(t, portal(t, empty, ""), "No subscriptions yet.")
}
