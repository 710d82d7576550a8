package main

// packages holds what differs between the provider packages; everything
// else in the generated files comes from the templates.
//
// The fakes' counters share one vocabulary: Mints counts access tokens
// issued (the server-to-server token), CheckoutTokens and PortalTokens the
// checkout and portal tokens issued; <Endpoint>Requests counts the
// requests that reached an endpoint, whatever their answer (TokenRequests
// for the access-token endpoint).
var packages = []pkg{
	{
		ClientDoc: `// Client mints Cartevo access tokens and sends authenticated calls. It is
// safe for concurrent use. Printing a Client shows no credential.`,
		Fake: fake{Pkg: "cartevotest", URLSuffix: "/api/v1", RedeliverDoc: "as a provider's retry would.", Counters: []counter{
			{"Mints", "mints", "// Mints reports how many access tokens the server has issued."},
			{"TokenRequests", "tokenCalls", `// TokenRequests reports how many requests reached POST /auth/token,
// whatever their answer.`},
			{"TokenRequestsStarted", "tokenStarted", `// TokenRequestsStarted reports how many token requests have arrived,
// including those still waiting out [Server.SetDelay]: a test can wait for
// a mint to be in flight.`},
			{"APIRequests", "apiCalls", "// APIRequests reports how many requests reached authenticated endpoints."},
		}},
		Pkg: "cartevo", WebhookTimeout: "9 s (Cartevo's delivery times out at 10 s)", Cred: "credentials", RetryAllCalls: "[Client.Do], [Client.HTTPClient] and [Client.Call]", ReuseCalls: "",
		Bearer: &bearer{API: "Cartevo", Token: "token", ExamplePath: "/wallets",
			AccessTokenDoc: `// AccessToken returns a valid access token, minting one only when the
// cache has none that is fresh. Concurrent callers share one mint.`,
			CallDoc: `//
// Cartevo wraps answers in an envelope: out receives its data. See
// [Client.DecodeEnvelope] for the shapes accepted and their errors.`},
		BaseURLDoc: `// WithBaseURL sets the API root (default [DefaultBaseURL]; [SandboxBaseURL]
// for preproduction). It must be https, or http for a loopback host; an
// empty or bad one is an error from [New].`,
		APIErrorDoc: `// APIError is a non-success answer from Cartevo: status, Cartevo's message
// (joined when it sends several), request id and RetryAfter. Use errors.As
// to inspect it and errors.Is with the sentinels below.`,
		Sentinels: []sentinel{
			{"ErrUnauthorized", `	// ErrUnauthorized matches 401 and 403 answers ("Invalid client
	// credentials", or a token Cartevo no longer accepts).`},
			{"ErrRateLimited", `	// ErrRateLimited matches 429 (Cartevo allows about 10 token requests
	// per 60 s per IP).`},
			{"ErrInvalidRequest", `	// ErrInvalidRequest matches 400 and 422 answers and local validation
	// failures, which name the field and happen before any request.`},
			{"ErrNotFound", `	// ErrNotFound matches 404.`},
			{"ErrUnexpectedResponse", `	// ErrUnexpectedResponse matches a 2xx answer that is not what Cartevo
	// documents: not JSON, no token, no positive lifetime.`},
			{"ErrResponseTooLarge", `	// ErrResponseTooLarge matches a response over the size limit (1 MiB).`},
			{"ErrEnvironment", `	// ErrEnvironment matches Cartevo's 403 "Access denied: this action is
	// not allowed in preproduction mode" (or production mode): a guard on
	// the token's mode claim, not a problem with the token. It does not
	// match ErrUnauthorized; the token stays cached and no backoff starts.
	// Use a client of the other mode ([SandboxBaseURL], [DefaultBaseURL]).`},
		},
	},
	{
		ClientDoc: `// Client mints Crovver checkout and portal tokens. It is safe for concurrent
// use. Printing a Client shows no key.`,
		Fake: fake{Pkg: "crovvertest", RedeliverDoc: "as the Retry button of Crovver's dashboard does.", Counters: []counter{
			{"CheckoutTokens", "checkoutTokens", "// CheckoutTokens reports how many checkout tokens the server has minted."},
			{"PortalTokens", "portalTokens", "// PortalTokens reports how many portal tokens the server has minted."},
		}},
		Pkg: "crovver", WebhookTimeout: "4 s (Crovver wants an answer within 5 s)", Cred: "key", RetryAllCalls: "", ReuseCalls: "CheckoutToken and PortalToken",
		BaseURLDoc: `// WithBaseURL sets Crovver's host (default [DefaultBaseURL]; self-hosted
// instances use their own). It must be https, or http for a loopback host;
// an empty or bad one is an error from [New].`,
		APIErrorDoc: `// APIError is a non-success answer from Crovver, with Crovver's error code
// (INVALID_PUBLIC_KEY, TENANT_NOT_FOUND, ...) and message.`,
		Sentinels: []sentinel{
			{"ErrUnauthorized", `	// ErrUnauthorized matches 401/403, including INVALID_PUBLIC_KEY.`},
			{"ErrRateLimited", `	// ErrRateLimited matches 429.`},
			{"ErrInvalidRequest", `	// ErrInvalidRequest matches local validation failures (which name the
	// field and send nothing) and 400/422, including MISSING_* codes.`},
			{"ErrNotFound", `	// ErrNotFound matches 404, including TENANT_NOT_FOUND and
	// NO_ACTIVE_SUBSCRIPTION.`},
			{"ErrUnexpectedResponse", `	// ErrUnexpectedResponse matches a success that is not what Crovver
	// documents (no token, no lifetime, a checkout URL that is not http(s)).`},
			{"ErrResponseTooLarge", `	// ErrResponseTooLarge matches a response over the size limit.`},
			{"ErrEnvironment", `	// ErrEnvironment matches a 403 about the environment a token belongs
	// to rather than the token (see checkoutkit.ErrEnvironment).`},
		},
	},
	{
		ClientDoc: `// Client mints Appstle customer-portal tokens for one store's API key. It is
// safe for concurrent use. Printing a Client shows no key.`,
		Fake: fake{Pkg: "appstletest", RedeliverDoc: "as Svix's retry would.", CheckSecret: true, Counters: []counter{
			{"PortalTokens", "tokens", "// PortalTokens reports how many portal tokens the server has issued."},
		}},
		Pkg: "appstle", WebhookTimeout: "14 s (Svix waits 15 s)", Cred: "key", RetryAllCalls: "", ReuseCalls: "PortalToken",
		OptionFields: "\tappKey string // X-App-Key, see WithAppKey\n\tshopDomain *string // the store's domain, see WithShopDomain",
		BaseURLDoc: `// WithBaseURL sets Appstle's API host (default [DefaultBaseURL]). It must
// be https, or http for a loopback host; an empty or bad one is an error
// from [New].`,
		APIErrorDoc: `// APIError is a non-success answer from Appstle, with the problem's detail
// (or title) as Message.`,
		Sentinels: []sentinel{
			{"ErrUnauthorized", `	// ErrUnauthorized matches 401 and 403 (a wrong or revoked API key).`},
			{"ErrRateLimited", `	// ErrRateLimited matches 429.`},
			{"ErrInvalidRequest", `	// ErrInvalidRequest matches local validation failures (which name the
	// field and send nothing) and 400/422.`},
			{"ErrNotFound", `	// ErrNotFound matches 404 (no such customer).`},
			{"ErrUnexpectedResponse", `	// ErrUnexpectedResponse matches a success that is not what Appstle
	// documents (no token, another customer's token).`},
			{"ErrResponseTooLarge", `	// ErrResponseTooLarge matches a response over the size limit.`},
			{"ErrEnvironment", `	// ErrEnvironment matches a 403 about the environment a token belongs
	// to rather than the token (see checkoutkit.ErrEnvironment).`},
		},
	},
	{
		ClientDoc: `// Client holds one partner's client credentials. It is safe for concurrent
// use. Printing a Client shows no credential.`,
		Fake: fake{Pkg: "altpaytest", RedeliverDoc: "as a provider's retry would.", Counters: []counter{
			{"Mints", "mints", "// Mints reports how many access tokens the server has issued."},
			{"TokenRequests", "oauthCalls", `// TokenRequests reports how many requests reached /oauth/token, whatever
// their answer.`},
			{"CheckoutTokens", "checkouts", "// CheckoutTokens reports how many checkout tokens the server has issued."},
			{"Payments", "payments", `// Payments reports how many invoices were paid through the browser-facing
// API.`},
		}},
		Pkg: "altpay", WebhookTimeout: "10 s", Cred: "credentials", RetryAllCalls: "[Client.Do], [Client.HTTPClient] and other authenticated calls", ReuseCalls: "CheckoutToken",
		Bearer: &bearer{API: "the partner API", Token: "access token", ExamplePath: "/webhooks",
			AccessTokenDoc: `// AccessToken returns a partner-API access token (OAuth2 client
// credentials), minting one only when the cached one is no longer fresh.
// Bad credentials (403 "Invalid credentials", or 401) match ErrUnauthorized
// and are not retried.`,
			CallDoc: `//
// The partner API answers with the result itself (no envelope, unlike
// Cartevo's), so there is no DecodeEnvelope: out receives the whole 2xx
// body, and an empty body decodes to nothing. A 2xx body that is not JSON,
// or not out's shape, is ErrUnexpectedResponse.`},
		BaseURLDoc: `// WithBaseURL sets the API host (default [DefaultBaseURL]; [DemoBaseURL]
// for the demo environment, whose credentials differ). It must be https, or
// http for a loopback host; an empty or bad one is an error from [New].`,
		APIErrorDoc: `// APIError is a non-success answer from Alternative Payments.`,
		Sentinels: []sentinel{
			{"ErrUnauthorized", `	// ErrUnauthorized matches 401 and 403: bad client credentials answer
	// 403 "Invalid credentials" on /oauth/token.`},
			{"ErrRateLimited", `	// ErrRateLimited matches 429 (5 requests per second per key).`},
			{"ErrInvalidRequest", `	// ErrInvalidRequest matches local validation failures (which name the
	// field and send nothing) and 400/422 ("invalid invoice id").`},
			{"ErrNotFound", `	// ErrNotFound matches 404.`},
			{"ErrUnexpectedResponse", `	// ErrUnexpectedResponse matches a success that is not what Alternative
	// Payments documents (no token, no expiry, claims for another invoice).`},
			{"ErrResponseTooLarge", `	// ErrResponseTooLarge matches a response over the size limit.`},
			{"ErrEnvironment", `	// ErrEnvironment matches a 403 about the environment a token belongs
	// to rather than the token (see checkoutkit.ErrEnvironment).`},
		},
	},
}
