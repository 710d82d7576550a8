package altpaytest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
)

// call sends one request to the fake and returns the status and the
// decoded answer.
func call(t *testing.T, method, url, auth, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// accessToken mints a partner-API access token with the default client.
func accessToken(t *testing.T, srv *altpaytest.Server) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "/", nil)
	req.SetBasicAuth(altpaytest.ClientID, altpaytest.ClientSecret)
	code, out := call(t, http.MethodPost, srv.URL()+"/oauth/token", req.Header.Get("Authorization"),
		"application/x-www-form-urlencoded", "grant_type=client_credentials")
	tok, _ := out["access_token"].(string)
	if code != http.StatusOK || tok == "" {
		t.Fatalf("token: %d %v", code, out)
	}
	return tok
}

// Webhook topics are an enum in Alternative Payments' OpenAPI: a topic it
// does not know ("invoice.paid" for invoice_paid) is a 400, not a
// registration that never fires. The fake registered any string, so a
// typo passed every test and the app never heard of a payment.
func TestCreateWebhookRefusesUnknownTopic(t *testing.T) {
	srv := altpaytest.NewServer()
	defer srv.Close()
	bearer := "Bearer " + accessToken(t, srv)
	for _, topic := range []string{"invoice.paid", "InvoicePaid", "invoice_paid "} {
		body := `{"endpoint_url":"http://127.0.0.1:9/hook","secret_key":"s3cret-key","topic":"` + topic + `"}`
		code, out := call(t, http.MethodPost, srv.URL()+"/webhooks", bearer, "application/json", body)
		if code != http.StatusBadRequest || out["code"] != "bad_request" {
			t.Errorf("topic %q: got %d %v, want 400 bad_request", topic, code, out)
		}
	}
	if code, out := call(t, http.MethodGet, srv.URL()+"/webhooks", bearer, "", ""); code != http.StatusOK || len(out["data"].([]any)) != 0 {
		t.Errorf("GET /webhooks: %d %v, want no registration", code, out)
	}
	body := `{"endpoint_url":"http://127.0.0.1:9/hook","secret_key":"s3cret-key","topic":"payment_chargeback"}`
	if code, out := call(t, http.MethodPost, srv.URL()+"/webhooks", bearer, "application/json", body); code != http.StatusCreated {
		t.Errorf("a documented topic: got %d %v, want 201", code, out)
	}
}
