// Package altpay gets Alternative Payments partner-API access tokens (OAuth2
// client credentials) and mints the checkout tokens its browser SDK needs,
// so that the client secret stays on the server.
//
// [Client.AccessToken] posts grant_type=client_credentials to /oauth/token
// with HTTP Basic auth and caches the token. [Client.CheckoutToken] calls
// /v1/checkout-auth/init for one customer and invoice with that token (one
// refresh-and-retry on 401), and reuses the checkout token while it is
// fresh. [Client.RefreshHandler] is the endpoint a page's
// onAccessTokenExpired callback calls for a new one.
//
// A Client is safe for concurrent use. Test your code against
// the altpaytest package.
package altpay
