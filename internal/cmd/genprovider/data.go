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
		Fake: fake{Pkg: "cartevotest", Unsigned: true, Fire: true, WithWebhookDoc: `// WithWebhook makes the server deliver webhooks to url signed with secret
// ([WebhookSecret] if empty), as Cartevo signs them with signing on:
// [Server.CollectPayment] fires payment.collect, and [Server.SendWebhook]
// fires any event. Deliveries run in the background, in order, once each;
// see [Server.Deliveries].`,
			URLSuffix: "/api/v1", RedeliverDoc: "as a provider's retry would.", Counters: []counter{
				{"Mints", "mints", "// Mints reports how many access tokens the server has issued."},
				{"TokenRequests", "tokenCalls", `// TokenRequests reports how many requests reached POST /auth/token,
// whatever their answer.`},
				{"TokenRequestsStarted", "tokenStarted", `// TokenRequestsStarted reports how many token requests have arrived,
// including those still waiting out [Server.SetDelay]: a test can wait for
// a mint to be in flight.`},
				{"APIRequests", "apiCalls", "// APIRequests reports how many requests reached authenticated endpoints."},
			}},
		Webhook: webhook{
			SignatureErrDoc: `	// ErrWebhookSignature: no X-Cartevo-Signature (unless
	// [WithUnsignedWebhooks]), no t or no v1 in it (t is signed), or no v1
	// that is the delivery's.`,
			TimestampErrDoc: `	// ErrWebhookTimestamp: a signed t more than 5 minutes from the
	// receiver's clock.`,
			PayloadErrDoc: `	// ErrWebhookPayload: a signed body that is not {event, data}.`,
			VerifyDoc: `// VerifyWebhook checks one Cartevo delivery: X-Cartevo-Signature
// "t=<unix>,v1=<hex>" must carry a v1 equal (in constant time) to the
// HMAC-SHA256, keyed by the secret's bytes, of t + "." + body exactly as
// received, and t must be within 5 minutes of the clock. The signed string
// is not published by Cartevo: t + "." + body is inferred from the
// convention of this header form. A delivery without the header is refused
// (see [WithUnsignedWebhooks] for the handler). The body must be
// {event, data}. Errors match [ErrWebhookSignature],
// [ErrWebhookTimestamp] or [ErrWebhookPayload] and never contain the
// secret or the signature.`,
			HandlerDoc: `// WebhookHandler receives Cartevo's webhooks at the URL set in Cartevo's
// dashboard; secret is the webhook signing secret. Each POST is verified
// as [VerifyWebhook] does, on at most 1 MiB of raw body (413 past it), and
// answered:
//
//	a method other than POST                       405
//	a body over 1 MiB                              413
//	a missing or wrong signature                   401
//	a stale t, or a body that is no envelope       400
//	the same body already handled                  200, handle not called again
//	one another replica is handling                503, the provider retries
//	handle returned an error                       500 (Cartevo retries 3 times, 5 s apart)
//	handle returned nil                            200
//
// Cartevo sends no event id, so deliveries are deduped on a hash of the
// raw body (a retry re-signed with another t is still a duplicate), for 72 h ([WithWebhookDedupe]), in memory or across replicas
// ([WithWebhookStore]); a failed handle forgets it so that the retry is
// handled. Cartevo waits 10 s for an answer, so handle gets a context with
// a 9 s deadline ([WithWebhookTimeout]). Unsigned deliveries are refused
// unless [WithUnsignedWebhooks]. Refusals are logged ([WithWebhookLogger])
// without the secret or the signature.
//
// WebhookHandler panics on an empty secret or a nil handle, so that the
// mistake shows at start-up. The handler is safe for concurrent use.`,
			SecretHeaders: `SignatureHeader`, Timeout: "9 * time.Second",
		},
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
		Fake: fake{Pkg: "crovvertest", Fire: true, WithWebhookDoc: `// WithWebhook makes the server deliver webhooks to url, signed with secret
// (or [WebhookSecret] if empty) as Crovver signs them: a completed checkout
// on the pricing page fires subscription.created then
// subscription.activated, and cancelling on the billing page fires
// subscription.canceled. Deliveries run in the background, in order, once
// each (Crovver does not retry); see [Server.Deliveries]. Without this
// option the server fires nothing.`,
			RedeliverDoc: "as the Retry button of Crovver's dashboard does.", Counters: []counter{
				{"CheckoutTokens", "checkoutTokens", "// CheckoutTokens reports how many checkout tokens the server has minted."},
				{"PortalTokens", "portalTokens", "// PortalTokens reports how many portal tokens the server has minted."},
			}},
		Webhook: webhook{
			SignatureErrDoc: `	// ErrWebhookSignature: no X-Crovver-Signature, or not the body's.`,
			TimestampErrDoc: `	// ErrWebhookTimestamp is never returned by Crovver's receiver
	// (deliveries carry no timestamp); it is here so that the four
	// packages read alike.`,
			PayloadErrDoc: `	// ErrWebhookPayload: a signed body that is not Crovver's envelope.`,
			VerifyDoc: `// VerifyWebhook checks one Crovver delivery: h must carry
// X-Crovver-Signature "sha256=<hex>", the HMAC-SHA256 of body exactly as
// received, keyed by the webhook secret's literal bytes, compared in
// constant time. It then reads the envelope; an id and a type are required,
// and an X-Crovver-Event header, when present, must name the same type.
// Crovver signs no timestamp: replays are caught by the id, which
// [WebhookHandler] dedupes. Errors match [ErrWebhookSignature] or
// [ErrWebhookPayload] and never contain the secret or the signature.`,
			HandlerDoc: `// WebhookHandler receives Crovver's webhooks at the URL registered in the
// dashboard. Each POST is verified as [VerifyWebhook] does, on at most
// 1 MiB of raw body (413 past it), and answered:
//
//	a method other than POST                 405
//	a body over 1 MiB                        413
//	a missing or wrong signature             401
//	a signed body that is no envelope        400
//	an id already handled                    200, handle not called again
//	one another replica is handling          503 (use the dashboard's Retry)
//	handle returned an error                 500 (use the dashboard's Retry)
//	handle returned nil                      200
//
// An id is remembered for 72 h ([WithWebhookDedupe]), in memory or across
// replicas ([WithWebhookStore]); a failed handle forgets it so that the
// retry is handled. Crovver wants an answer within 5 s, so handle gets a
// context with a 4 s deadline, inside it ([WithWebhookTimeout]): enqueue slow work.
// Refusals are logged ([WithWebhookLogger]) without the secret or the
// signature.
//
// WebhookHandler panics on an empty secret or a nil handle, so that the
// mistake shows at start-up. The handler is safe for concurrent use.`,
			SecretHeaders: `SignatureHeader`, Timeout: "4 * time.Second",
		},
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
		Fake: fake{Pkg: "appstletest", Fire: true, WithWebhookDoc: `// WithWebhook makes the server deliver webhooks to url as Appstle does
// through Svix, signed with secret ("whsec_" and base64; [WebhookSecret]
// if empty; NewServer panics on another): [Server.CreateContract] fires
// subscription.created then subscription.activated, [Server.CancelContract]
// fires subscription.cancelled. Deliveries run in the background, in
// order, once each; see [Server.Deliveries]. Without this option the
// server fires nothing.`,
			RedeliverDoc: "as a replay would. (Svix's own retries keep the\n// svix-id but are signed anew at each attempt's time: a replay older than 5\n// minutes fails verification where a retry passes.)", CheckSecret: true, Counters: []counter{
				{"PortalTokens", "tokens", "// PortalTokens reports how many portal tokens the server has issued."},
			}},
		Webhook: webhook{
			SignatureErrDoc: `	// ErrWebhookSignature: no svix-id, svix-timestamp or svix-signature
	// (the id and the timestamp are signed), or none of the signature's v1
	// entries is the delivery's; also an unusable secret.`,
			TimestampErrDoc: `	// ErrWebhookTimestamp: a signed svix-timestamp more than 5 minutes
	// from the receiver's clock.`,
			PayloadErrDoc: `	// ErrWebhookPayload: a signed body that is not {type, data}.`,
			VerifyDoc: `// VerifyWebhook checks one Appstle delivery as Svix signs it: the
// HMAC-SHA256 of svix-id + "." + svix-timestamp + "." + body (exactly as
// received, never re-serialised), keyed by the base64-decoded part of the
// "whsec_…" secret after the prefix, must equal one of the "v1,<base64>"
// entries of svix-signature (several during a secret rotation; compared in
// constant time), and svix-timestamp must be within 5 minutes of the
// clock. Standard Webhooks' webhook-* headers are read when svix-* are
// absent. The body must be the envelope {type, data}. Errors match
// [ErrWebhookSignature], [ErrWebhookTimestamp] or [ErrWebhookPayload] and
// never contain the secret or a signature.`,
			HandlerDoc: `// WebhookHandler receives Appstle's webhooks (sent through Svix) at the
// endpoint set in Appstle's webhook settings; secret is the endpoint's
// signing secret ("whsec_…"). Each POST is verified as [VerifyWebhook]
// does, on at most 1 MiB of raw body (413 past it), and answered:
//
//	a method other than POST                      405
//	a body over 1 MiB                             413
//	a missing or wrong signature                  401
//	a stale timestamp, or a body that is no envelope 400
//	an svix-id already handled                    200, handle not called again
//	one another replica is handling               503, the provider retries
//	handle returned an error                      500 (Svix retries)
//	handle returned nil                           200
//
// An svix-id is remembered for 72 h ([WithWebhookDedupe]), in memory or
// across replicas ([WithWebhookStore]); a failed handle forgets it so that
// Svix's retry is handled. handle gets a context with a 14 s deadline (Svix waits 15 s)
// ([WithWebhookTimeout]). Refusals are logged ([WithWebhookLogger]) without
// the secret or a signature.
//
// WebhookHandler panics on an empty secret, one that is not "whsec_" and
// base64, or a nil handle, so that the mistake shows at start-up. The
// handler is safe for concurrent use.`,
			SecretHeaders: `SignatureHeader, "webhook-signature"`, Timeout: "14 * time.Second",
		},
		Pkg: "appstle", WebhookTimeout: "14 s (Svix waits 15 s)", Cred: "key", RetryAllCalls: "", ReuseCalls: "PortalToken",
		OptionFields: "\tappKey *string // X-App-Key, see WithAppKey\n\tshopDomain *string // the store's domain, see WithShopDomain",
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
		Fake: fake{Pkg: "altpaytest", WithWebhookDoc: `// WithWebhook makes the server deliver webhooks to url as Alternative
// Payments does, with "Authorization: Bearer <secret>" ([WebhookSecret] if
// empty): a payment through the browser-facing API fires invoice_paid.
// Webhooks registered through POST /webhooks are delivered too, each with
// its own secret_key. Deliveries run in the background, in order, once
// each; see [Server.Deliveries].`,
			RedeliverDoc: "as a provider's retry would.", Counters: []counter{
				{"Mints", "mints", "// Mints reports how many access tokens the server has issued."},
				{"TokenRequests", "oauthCalls", `// TokenRequests reports how many requests reached /oauth/token, whatever
// their answer.`},
				{"CheckoutTokens", "checkouts", "// CheckoutTokens reports how many checkout tokens the server has issued."},
				{"Payments", "payments", `// Payments reports how many invoices were paid through the browser-facing
// API.`},
			}},
		Webhook: webhook{
			SignatureErrDoc: `	// ErrWebhookSignature: no "Authorization: Bearer <secret>", or another
	// secret than the one registered.`,
			TimestampErrDoc: `	// ErrWebhookTimestamp is never returned (deliveries carry no
	// timestamp); it is here so that the four packages read alike.`,
			PayloadErrDoc: `	// ErrWebhookPayload: an authenticated body that is not a JSON object.`,
			VerifyDoc: `// VerifyWebhook checks one Alternative Payments delivery. They are not
// signed: the secret_key given when the webhook was registered
// ([Client.CreateWebhook]) comes back as "Authorization: Bearer <secret>",
// compared here in constant time. Nothing ties a delivery to a time, so a
// captured one can be replayed: [WebhookHandler] dedupes on its id. The body
// must be a JSON object; see [Event] for what is read from it. Errors match
// [ErrWebhookSignature] or [ErrWebhookPayload] and never contain the secret.`,
			HandlerDoc: `// WebhookHandler receives Alternative Payments' webhooks at the
// endpoint_url registered with [Client.CreateWebhook]; secret is the
// secret_key registered with it. Each POST is checked as [VerifyWebhook]
// does, on at most 1 MiB of raw body (413 past it), and answered:
//
//	a method other than POST                       405
//	a body over 1 MiB                              413
//	no bearer, or not the secret                   401
//	a body that is not a JSON object               400
//	an event already handled                       200, handle not called again
//	one another replica is handling                503, the provider retries
//	handle returned an error                       500
//	handle returned nil                            200
//
// Events are deduped on the body's topic and id (the body is not
// documented, and its id may be the invoice's, shared by the invoice's
// events; without one, on a hash of the body) for 72 h
// ([WithWebhookDedupe]), in memory or across replicas
// ([WithWebhookStore]); a failed handle forgets it so that a retry is
// handled. handle gets a context with a 10 s deadline
// ([WithWebhookTimeout]). Refusals are logged ([WithWebhookLogger]) without
// the secret.
//
// WebhookHandler panics on an empty secret or a nil handle, so that the
// mistake shows at start-up. The handler is safe for concurrent use.`,
			SecretHeaders: `"Authorization"`, Timeout: "10 * time.Second",
		},
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
