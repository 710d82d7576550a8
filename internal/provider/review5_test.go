package provider_test

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

// A handle fails on replica A while the Store cannot release A's claim
// (Redis gone just then, back a moment later). The provider retries at
// once and again 5 s later (Svix's schedule), on replica B: while A's
// unreleased claim lasts (the handle timeout and a few seconds), B must
// not answer 200 without handling the event, or the provider counts it
// delivered and the event is dropped, where the docs promise "handled
// twice, never dropped". A non-2xx answer is fine: the provider retries.
func TestWebhookRetryDuringUnreleasedClaimIsNotDropped(t *testing.T) {
	for _, k := range kits() {
		t.Run(k.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				store := &stuckStore{lockStore: newLockStore()}
				var a, b counter
				ha := k.handler(k.secret, a.handle, hopts{store: store})
				hb := k.handler(k.secret, b.handle, hopts{store: store})
				typ := k.eventType()

				a.fail.Store(true)
				store.stuck.Store(true)
				hdr, body := k.sign(k.secret, "evt_retry", typ, time.Now())
				assert.Equal(t, http.StatusInternalServerError, post(ha, hdr, body))
				store.stuck.Store(false)

				for _, after := range []time.Duration{0, 5 * time.Second} {
					time.Sleep(after)
					hdr, body = k.sign(k.secret, "evt_retry", typ, time.Now())
					if code := post(hb, hdr, body); code/100 == 2 {
						assert.Equal(t, 1, b.n(), "the retry %v after the failure was answered %d but never handled: dropped", after, code)
						return
					}
				}
				// Once the claim has lapsed, the next retry is handled.
				time.Sleep(time.Minute)
				hdr, body = k.sign(k.secret, "evt_retry", typ, time.Now())
				assert.Equal(t, http.StatusOK, post(hb, hdr, body))
				assert.Equal(t, 1, b.n())
			})
		})
	}
}
