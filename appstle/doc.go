// Package appstle mints Appstle Subscriptions customer-portal tokens for
// Shopify customers and builds the portal links to send them to, keeping
// the store's API key on the server.
//
// [Client.CustomerPortalToken] calls GET
// /api/external/v2/customer-portal-token with the X-API-Key header (the key
// never goes in a URL) for a customer id or an email, and reuses a token per
// customer while it is fresh. Appstle tokens expire two hours after they
// are issued; no expiry is returned, so ExpiresAt is read from the token's
// claims (see [PortalToken]). [PortalURL] turns a token into the shop's
// portal link.
//
// A Client is safe for concurrent use. Test your code against
// the appstletest package.
package appstle
