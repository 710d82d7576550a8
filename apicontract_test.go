package checkoutkit_test

// The exported surface that ../shared/API.md lists, with the exact types
// users and outside tests compile against: a rename or a changed
// signature fails this file's build, not a user's.

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/oauth2"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/checkoutkitotel"
	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
	"github.com/checkoutkit/checkoutkit/tokencache"
	"github.com/checkoutkit/checkoutkit/tokencache/redisstore"
	"github.com/checkoutkit/checkoutkit/tokencache/sqlstore"
)

var (
	// tokencache
	_ func(...tokencache.Option) *tokencache.Cache                                                     = tokencache.New
	_ func(time.Duration) tokencache.Option                                                            = tokencache.WithEarlyExpiry
	_ func(func() time.Time) tokencache.Option                                                         = tokencache.WithClock
	_ func(tokencache.Store) tokencache.Option                                                         = tokencache.WithStore
	_ func(int) tokencache.Option                                                                      = tokencache.WithMaxEntries
	_ func(tokencache.Observer) tokencache.Option                                                      = tokencache.WithObserver
	_ func(*tokencache.Cache, context.Context, string, tokencache.FetchFunc) (tokencache.Token, error) = (*tokencache.Cache).Get
	_ func(*tokencache.Cache, string, tokencache.Token)                                                = (*tokencache.Cache).Invalidate
	_ func(*tokencache.Cache) error                                                                    = (*tokencache.Cache).Close
	_ func(*tokencache.Cache) time.Time                                                                = (*tokencache.Cache).Now
	_ func(tokencache.Token) string                                                                    = tokencache.Token.String
	_ tokencache.FetchFunc                                                                             = func(context.Context) (tokencache.Token, error) { return tokencache.Token{}, nil }

	// stores
	_ func(redis.UniversalClient, ...redisstore.Option) (*redisstore.Store, error) = redisstore.New
	_ tokencache.Store                                                             = (*redisstore.Store)(nil)
	_ func(*sql.DB, ...sqlstore.Option) (*sqlstore.Store, error)                   = sqlstore.New
	_ func(string) sqlstore.Option                                                 = sqlstore.WithTable
	_ func(time.Duration) sqlstore.Option                                          = sqlstore.WithTimeout
	_ func([]byte) sqlstore.Option                                                 = sqlstore.WithEncryptionKey
	_ func(*slog.Logger) sqlstore.Option                                           = sqlstore.WithLogger
	_ tokencache.Store                                                             = (*sqlstore.Store)(nil)

	// checkoutkitotel
	_ func(*tokencache.Cache, ...checkoutkitotel.Option) error = checkoutkitotel.InstrumentMetrics
	_ func(*tokencache.Cache, ...checkoutkitotel.Option) error = checkoutkitotel.InstrumentTracing
	_ func(metric.MeterProvider) checkoutkitotel.Option        = checkoutkitotel.WithMeterProvider
	_ func(trace.TracerProvider) checkoutkitotel.Option        = checkoutkitotel.WithTracerProvider
	_ func(...attribute.KeyValue) checkoutkitotel.Option       = checkoutkitotel.WithAttributes

	// cartevo
	_ string                                                                                          = cartevo.DefaultBaseURL
	_ func(string, string, ...cartevo.Option) (*cartevo.Client, error)                                = cartevo.New
	_ func(string) cartevo.Option                                                                     = cartevo.WithBaseURL
	_ func(*http.Client) cartevo.Option                                                               = cartevo.WithHTTPClient
	_ func(*tokencache.Cache) cartevo.Option                                                          = cartevo.WithCache
	_ func(*cartevo.Client, context.Context) (tokencache.Token, error)                                = (*cartevo.Client).AccessToken
	_ func(*cartevo.Client, *http.Request) (*http.Response, error)                                    = (*cartevo.Client).Do
	_ func(*cartevo.Client) oauth2.TokenSource                                                        = (*cartevo.Client).TokenSource
	_ func(*cartevo.Client) *http.Client                                                              = (*cartevo.Client).HTTPClient
	_ func(string, func(context.Context, cartevo.Event) error, ...cartevo.WebhookOption) http.Handler = cartevo.WebhookHandler
	_ func(string, http.Header, []byte) (cartevo.Event, error)                                        = cartevo.VerifyWebhook

	// crovver
	_ string                                                                                                       = crovver.DefaultBaseURL
	_ func(string, ...crovver.Option) (*crovver.Client, error)                                                     = crovver.New
	_ func(*crovver.Client, context.Context, crovver.CheckoutTokenRequest) (*crovver.CheckoutToken, error)         = (*crovver.Client).CheckoutToken
	_ func(*crovver.Client, func(*http.Request) (crovver.PortalTokenRequest, error)) http.Handler                  = (*crovver.Client).PortalRedirectHandler
	_ func(*crovver.Client, context.Context, string, ...crovver.StatusOption) (*crovver.SubscriptionStatus, error) = (*crovver.Client).SubscriptionStatus
	_ func(*crovver.Client, context.Context, crovver.CanAccessRequest) (*crovver.Access, error)                    = (*crovver.Client).CanAccess
	_ func(string, func(context.Context, crovver.Event) error, ...crovver.WebhookOption) http.Handler              = crovver.WebhookHandler
	_ func(string, http.Header, []byte) (crovver.Event, error)                                                     = crovver.VerifyWebhook

	// appstle
	_ string                                                                                              = appstle.DefaultBaseURL
	_ func(string, ...appstle.Option) (*appstle.Client, error)                                            = appstle.New
	_ func(*appstle.Client, context.Context, appstle.PortalTokenRequest) (*appstle.PortalToken, error)    = (*appstle.Client).CustomerPortalToken
	_ func(string, string) (string, error)                                                                = appstle.PortalURL
	_ func(*appstle.Client, string, func(*http.Request) (appstle.PortalTokenRequest, error)) http.Handler = (*appstle.Client).PortalRedirectHandler
	_ func(string) appstle.Option                                                                         = appstle.WithAppKey
	_ func(*appstle.Client, context.Context, string) ([]int64, error)                                     = (*appstle.Client).ValidContracts
	_ func(string, func(context.Context, appstle.Event) error, ...appstle.WebhookOption) http.Handler     = appstle.WebhookHandler

	// altpay
	_ string                                                                                            = altpay.DefaultBaseURL
	_ string                                                                                            = altpay.DemoBaseURL
	_ func(string, string, ...altpay.Option) (*altpay.Client, error)                                    = altpay.New
	_ func(*altpay.Client, context.Context) (tokencache.Token, error)                                   = (*altpay.Client).AccessToken
	_ func(*altpay.Client, *http.Request) (*http.Response, error)                                       = (*altpay.Client).Do
	_ func(*altpay.Client, context.Context, altpay.CheckoutTokenRequest) (*altpay.CheckoutToken, error) = (*altpay.Client).CheckoutToken
	_ func(*altpay.Client) oauth2.TokenSource                                                           = (*altpay.Client).TokenSource
	_ func(*altpay.Client) *http.Client                                                                 = (*altpay.Client).HTTPClient
	_ func(string, func(context.Context, altpay.Event) error, ...altpay.WebhookOption) http.Handler     = altpay.WebhookHandler

	// fakes
	_ func(*cartevotest.Server) string = (*cartevotest.Server).URL
	_ func(*crovvertest.Server) string = (*crovvertest.Server).URL
	_ func(*appstletest.Server) string = (*appstletest.Server).URL
	_ func(*altpaytest.Server) string  = (*altpaytest.Server).URL
)

// The shapes of the contract's structs: a field renamed or retyped fails
// to compile here.
var (
	_ = tokencache.Token{Value: "", Type: "", ExpiresAt: time.Time{}}
	_ = crovver.CheckoutTokenRequest{ExternalTenantID: "", ReturnURL: "", ExternalUserID: "", ExternalTenantName: "", RequiredFeature: "", RequiredPlan: "", Metadata: map[string]any{}}
	_ = crovver.CheckoutToken{Token: "", ExpiresAt: time.Time{}, CheckoutURL: "", ExpiresIn: time.Duration(0)}
	_ = appstle.PortalTokenRequest{CustomerID: "", Email: ""}
	_ = appstle.PortalToken{CustomerID: int64(0), Token: "", ExpiresAt: time.Time{}}
	_ = altpay.CheckoutTokenRequest{CustomerID: "", InvoiceID: ""}
	_ = altpay.CheckoutToken{Token: "", ExpiresAt: time.Time{}}
	_ = crovver.Event{ID: "", Type: "", CreatedAt: time.Time{}, Data: json.RawMessage(nil)}
	_ = &cartevo.APIError{StatusCode: 0, Message: "", RetryAfter: time.Duration(0)}
	_ = []error{cartevo.ErrUnauthorized, cartevo.ErrRateLimited, cartevo.ErrInvalidRequest, altpay.ErrUnauthorized, crovver.ErrInvalidRequest, appstle.ErrRateLimited}
)
