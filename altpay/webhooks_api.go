package altpay

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/httpx"
	"github.com/checkoutkit/checkoutkit/internal/provider"
)

const webhooksPath = "/webhooks"

// CreateWebhookRequest registers an endpoint for one topic.
type CreateWebhookRequest struct {
	EndpointURL string // required: an https URL (http only for a loopback host)
	// SecretKey is required here (the API makes it optional): deliveries
	// carry it back as "Authorization: Bearer <SecretKey>", the only proof
	// [WebhookHandler] has that they come from Alternative Payments. Use a
	// long random string.
	SecretKey string
	Topic     string // required, e.g. TopicInvoicePaid
}

// String shows the request without its secret.
func (r CreateWebhookRequest) String() string {
	return "altpay.CreateWebhookRequest{EndpointURL: " + strconv.Quote(r.EndpointURL) + ", Topic: " + strconv.Quote(r.Topic) + ", SecretKey: [redacted]}"
}

// GoString implements fmt.GoStringer so that %#v shows no secret.
func (r CreateWebhookRequest) GoString() string { return r.String() }

// LogValue implements slog.LogValuer: the endpoint and topic, no secret
// (slog.JSONHandler would otherwise marshal SecretKey).
func (r CreateWebhookRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("endpoint_url", r.EndpointURL), slog.String("topic", r.Topic))
}

// Webhook is a registered webhook, as the API lists it. Its secret is
// never read back.
type Webhook struct {
	ID          string    `json:"id"`
	EndpointURL string    `json:"endpoint_url"`
	Topic       string    `json:"topic"`
	IsActive    bool      `json:"is_active"`
	CreatedAt   time.Time `json:"created_at"`
}

// ListWebhooksRequest filters [Client.ListWebhooks]; every field is
// optional.
type ListWebhooksRequest struct {
	Limit    int    // page size; 0: the API's default
	After    string // cursor: webhooks after this id
	Before   string // cursor: webhooks before this id
	Topic    string
	IsActive *bool
}

// CreateWebhook registers r's endpoint with Alternative Payments (POST
// /webhooks {endpoint_url, secret_key, topic}, docs: getting-started/webhooks)
// on the cached partner-API access token, refreshed once on a 401. The
// request is validated first and sends nothing if invalid. Pass the same
// SecretKey to [WebhookHandler]. It is not retried on a network error or
// 5xx (a retry could register twice).
func (c *Client) CreateWebhook(ctx context.Context, r CreateWebhookRequest) (*Webhook, error) {
	if err := httpx.CheckRedirectURL(r.EndpointURL); err != nil {
		return nil, httpx.Invalid(name, "EndpointURL", "must be an https URL (http only for loopback)")
	}
	if err := provider.Require(name, "SecretKey", r.SecretKey); err != nil {
		return nil, err
	}
	if err := provider.Require(name, "Topic", r.Topic); err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string]string{"endpoint_url": r.EndpointURL, "secret_key": r.SecretKey, "topic": r.Topic})
	if err != nil {
		return nil, err
	}
	hc := c.c.base.HTTP
	hc.Redactor().Remember(r.SecretKey)
	resp, err := hc.Send(ctx, httpx.Request{
		Method: http.MethodPost, Path: webhooksPath, Body: body, ContentType: "application/json",
		Auth: c.c.src,
	})
	if err != nil {
		return nil, hc.WrapContextError(err, http.MethodPost, webhooksPath)
	}
	var w struct {
		Webhook
		Data *Webhook `json:"data"`
	}
	if err := hc.DecodeJSON(resp, &w); err != nil {
		return nil, err
	}
	if w.Data != nil {
		return w.Data, nil
	}
	return &w.Webhook, nil
}

// ListWebhooks lists registered webhooks (GET /webhooks with limit, after,
// before, topic and is_active) on the cached access token. It reads a bare
// array or one under "data" (the answer is not documented). A negative
// Limit, or a set After, Before or Topic of spaces only or with a control
// character, is a FieldError before any request.
func (c *Client) ListWebhooks(ctx context.Context, r ListWebhooksRequest) ([]Webhook, error) {
	q := url.Values{}
	switch {
	case r.Limit < 0:
		return nil, httpx.Invalid(name, "Limit", "must not be negative")
	case r.Limit > 0:
		q.Set("limit", strconv.Itoa(r.Limit))
	}
	for _, f := range []struct{ field, key, value string }{
		{"After", "after", r.After}, {"Before", "before", r.Before}, {"Topic", "topic", r.Topic},
	} {
		if f.value == "" {
			continue
		}
		if err := provider.Require(name, f.field, f.value); err != nil {
			return nil, err
		}
		q.Set(f.key, f.value)
	}
	if r.IsActive != nil {
		q.Set("is_active", strconv.FormatBool(*r.IsActive))
	}
	hc := c.c.base.HTTP
	resp, err := hc.Send(ctx, httpx.Request{Method: http.MethodGet, Path: webhooksPath, Query: q, Auth: c.c.src, Retry: true})
	if err != nil {
		return nil, hc.WrapContextError(err, http.MethodGet, webhooksPath)
	}
	var list []Webhook
	if b := bytes.TrimLeft(resp.Body, " \t\r\n"); len(b) > 0 && b[0] == '[' { // JSON's whitespace
		if err := hc.DecodeJSON(resp, &list); err != nil {
			return nil, err
		}
		return list, nil
	}
	var wrapped struct {
		Data []Webhook `json:"data"`
	}
	if err := hc.DecodeJSON(resp, &wrapped); err != nil {
		return nil, err
	}
	return wrapped.Data, nil
}
