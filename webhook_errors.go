package checkoutkit

import "errors"

// Sentinels that webhook verification errors match with errors.Is. Each
// provider package re-exports them (crovver.ErrWebhookSignature, …). Their
// text never contains the webhook secret or a signature.
var (
	// ErrWebhookSignature matches a delivery whose signature (or, for
	// Alternative Payments, bearer secret) is missing, malformed or wrong.
	// A receiver answers it with 401.
	ErrWebhookSignature = errors.New("webhook signature missing or invalid")
	// ErrWebhookTimestamp matches a signed delivery whose timestamp is
	// missing, malformed or outside the tolerance (5 minutes either way).
	// A receiver answers it with 400.
	ErrWebhookTimestamp = errors.New("webhook timestamp missing or outside the tolerance")
	// ErrWebhookPayload matches a delivery whose signature is valid but
	// whose body is not the provider's envelope (not JSON, no event type,
	// no event id where the provider sends one). A receiver answers it with
	// 400.
	ErrWebhookPayload = errors.New("webhook payload malformed")
)
