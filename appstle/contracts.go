package appstle

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
)

const validPath = "/api/external/v2/subscription-customers/valid/"

// WithAppKey sends partnerKey as the X-App-Key header beside X-API-Key on
// every call, as Appstle's partners do (it lifts the paid API plan
// requirement). It is a credential: never logged nor printed. An empty
// one is an error from [New]. Default: none.
func WithAppKey(partnerKey string) Option { return func(o *options) { o.appKey = &partnerKey } }

// header is the credential headers of every call, plus kv pairs.
func (c *client) header(kv ...string) http.Header {
	h := http.Header{"X-Api-Key": {c.apiKey}}
	if c.appKey != "" {
		h.Set("X-App-Key", c.appKey)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// ValidContracts returns the ids of a customer's active subscription
// contracts (GET /api/external/v2/subscription-customers/valid/{id}), what a
// backend checks when the customer returns from the portal. customerID is
// "12345" or "gid://shopify/Customer/12345"; anything else is an error
// naming the field, before any request. A customer without contracts gives
// an empty slice.
func (c *Client) ValidContracts(ctx context.Context, customerID string) ([]int64, error) {
	id, err := ParseCustomerID(customerID)
	if err != nil {
		return nil, err
	}
	cc := c.c
	hc := cc.base.HTTP
	path := validPath + strconv.FormatInt(id, 10)
	resp, err := hc.Send(ctx, httpx.Request{Method: http.MethodGet, Path: path, Header: cc.header(), Retry: true})
	if err != nil {
		return nil, hc.WrapContextError(err, http.MethodGet, validPath+"{id}")
	}
	var raw []json.RawMessage
	if err := hc.DecodeJSON(resp, &raw); err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(raw))
	for _, r := range raw {
		n, ok := jsonInt(r)
		if !ok {
			return nil, hc.Unexpected(resp, "a contract id is not a positive number")
		}
		ids = append(ids, n)
	}
	return ids, nil
}
