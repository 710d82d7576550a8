package provider_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

// stuckStore is a lockStore whose releases fail while stuck is set, as
// when Redis goes away between the claim and the release.
type stuckStore struct {
	*lockStore
	stuck atomic.Bool
}

func (s *stuckStore) TryLock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, bool, error) {
	release, ok, err := s.lockStore.TryLock(ctx, key, ttl)
	if release == nil {
		return release, ok, err
	}
	return func(ctx context.Context) error {
		if s.stuck.Load() {
			return errors.New("store down")
		}
		return release(ctx)
	}, ok, err
}

// A handle that fails, on a replica whose Store cannot release the
// event's lock just then, keeps the provider's retry out only while a
// handle could still be running, not for the dedupe window: the retry a
// minute later is handled, not answered 200 and dropped. An event that was
// handled stays deduped across the fleet for the window.
func TestWebhookUnreleasedLockHoldsRetriesOffBriefly(t *testing.T) {
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
				hdr, body := k.sign(k.secret, "evt_r", typ, time.Now())
				assert.Equal(t, http.StatusInternalServerError, post(ha, hdr, body))
				store.stuck.Store(false)

				time.Sleep(time.Minute) // the provider retries, on another replica
				hdr, body = k.sign(k.secret, "evt_r", typ, time.Now())
				assert.Equal(t, http.StatusOK, post(hb, hdr, body))
				assert.Equal(t, 1, b.n(), "the retry was handled")

				time.Sleep(time.Hour) // a late duplicate, on the replica that failed
				hdr, body = k.sign(k.secret, "evt_r", typ, time.Now())
				assert.Equal(t, http.StatusOK, post(ha, hdr, body))
				assert.Equal(t, 1, a.n(), "deduped by the fleet: handle not called again")
			})
		})
	}
}
