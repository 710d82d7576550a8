package altpaytest_test

import (
	"encoding/json"
	"net/http"
	"slices"
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

// checkoutToken mints a checkout token for customer and invoice.
func checkoutToken(t *testing.T, srv *altpaytest.Server, customer, invoice string) string {
	t.Helper()
	code, out := call(t, http.MethodPost, srv.URL()+"/v1/checkout-auth/init", "Bearer "+accessToken(t, srv), "application/json",
		`{"customer_id":"`+customer+`","invoice_id":"`+invoice+`"}`)
	tok, _ := out["token"].(string)
	if code != http.StatusOK || tok == "" {
		t.Fatalf("init: %d %v", code, out)
	}
	return tok
}

// The browser-facing API pays an invoice on POST /v1/checkout/pay only (its
// godoc, and what the web SDK sends). The fake paid on any method, so a
// GET (a prefetch, a link, a page's mistake) paid the invoice and fired
// invoice_paid.
func TestPayOnlyOnPost(t *testing.T) {
	srv := altpaytest.NewServer()
	defer srv.Close()
	tok := checkoutToken(t, srv, "cus_1", "inv_1")
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		if code, out := call(t, m, srv.URL()+"/v1/checkout/pay", "Bearer "+tok, "", ""); code != http.StatusMethodNotAllowed {
			t.Errorf("%s: got %d %v, want 405", m, code, out)
		}
	}
	if srv.Paid("inv_1") || srv.Payments() != 0 {
		t.Fatalf("paid by another method than POST (Payments() = %d)", srv.Payments())
	}
	if code, out := call(t, http.MethodPost, srv.URL()+"/v1/checkout/pay", "Bearer "+tok, "", ""); code != http.StatusOK || !srv.Paid("inv_1") {
		t.Errorf("POST: got %d %v, want 200 and the invoice paid", code, out)
	}
}

// GET /webhooks pages with the documented after and before cursors. The
// fake ignored both and answered the first page again, so a client paging
// with after=<last id> until an empty page never ended against it.
func TestListWebhooksPagesWithCursors(t *testing.T) {
	srv := altpaytest.NewServer()
	defer srv.Close()
	bearer := "Bearer " + accessToken(t, srv)
	for range 3 {
		body := `{"endpoint_url":"http://127.0.0.1:9/hook","secret_key":"s3cret-key","topic":"invoice_paid"}`
		if code, out := call(t, http.MethodPost, srv.URL()+"/webhooks", bearer, "application/json", body); code != http.StatusCreated {
			t.Fatalf("POST /webhooks: %d %v", code, out)
		}
	}
	ids := func(query string) []string {
		t.Helper()
		code, out := call(t, http.MethodGet, srv.URL()+"/webhooks?"+query, bearer, "", "")
		if code != http.StatusOK {
			t.Fatalf("GET /webhooks?%s: %d %v", query, code, out)
		}
		got := []string{}
		for _, wh := range out["data"].([]any) {
			got = append(got, wh.(map[string]any)["id"].(string))
		}
		return got
	}
	for query, want := range map[string][]string{
		"limit=2":                {"wh_1", "wh_2"},
		"limit=2&after=wh_2":     {"wh_3"},
		"after=wh_3":             {},
		"before=wh_3":            {"wh_1", "wh_2"},
		"limit=1&before=wh_3":    {"wh_2"},
		"before=wh_1":            {},
		"after=wh_1&before=wh_3": {"wh_2"},
	} {
		if got := ids(query); !slices.Equal(got, want) {
			t.Errorf("GET /webhooks?%s: got %v, want %v", query, got, want)
		}
	}
}

// An unknown cursor pages nothing: neither the first page again nor the
// whole list.
func TestListWebhooksUnknownCursorIsEmpty(t *testing.T) {
	srv := altpaytest.NewServer()
	defer srv.Close()
	bearer := "Bearer " + accessToken(t, srv)
	body := `{"endpoint_url":"http://127.0.0.1:9/hook","secret_key":"s3cret-key","topic":"invoice_paid"}`
	if code, out := call(t, http.MethodPost, srv.URL()+"/webhooks", bearer, "application/json", body); code != http.StatusCreated {
		t.Fatalf("POST /webhooks: %d %v", code, out)
	}
	for _, q := range []string{"after=wh_9", "before=wh_9"} {
		if code, out := call(t, http.MethodGet, srv.URL()+"/webhooks?"+q, bearer, "", ""); code != http.StatusOK || len(out["data"].([]any)) != 0 {
			t.Errorf("GET /webhooks?%s: %d %v, want an empty page", q, code, out)
		}
	}
}
