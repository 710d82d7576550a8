package altpay

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

// An expires_at in milliseconds is still milliseconds when, on the local
// clock, it has already passed: with the local clock ahead of the
// provider's, the Date header brings it back into the future. Read as
// seconds it lay tens of millennia ahead, and the 5-minute token was kept
// for the 24-hour ceiling.
func TestExpiresAtInMillisecondsAcrossClockSkew(t *testing.T) {
	hc, err := httpx.New(httpx.Config{Provider: name, BaseURL: DefaultBaseURL})
	require.NoError(t, err)
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	server := now.Add(-6 * time.Minute) // the provider's clock is behind
	exp := server.Add(5 * time.Minute)  // before now on the local clock
	r := CheckoutTokenRequest{CustomerID: "cus_1", InvoiceID: "inv_1"}
	h := http.Header{"Content-Type": {"application/json"}, "Date": {server.Format(http.TimeFormat)}}
	body := fmt.Sprintf(`{"token":"opaque-checkout-token-0123456789","expires_at":%d}`, exp.UnixMilli())
	resp := &httpx.Response{StatusCode: 200, Header: h, Body: []byte(body), Method: "POST", Path: initPathV1}
	tok, err := decodeCheckout(hc, resp, r, now)
	require.NoError(t, err)
	assert.Equal(t, now.Add(5*time.Minute), tok.ExpiresAt)
}
