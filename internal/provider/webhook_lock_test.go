package provider_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/checkoutkit/checkoutkit/tokencache"
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
				var logs bytes.Buffer
				ha := k.handler(k.secret, a.handle, hopts{store: store, logger: slog.New(slog.NewTextHandler(&logs, nil))})
				hb := k.handler(k.secret, b.handle, hopts{store: store})
				typ := k.eventType()

				a.fail.Store(true)
				store.stuck.Store(true)
				hdr, body := k.sign(k.secret, "evt_r", typ, time.Now())
				assert.Equal(t, http.StatusInternalServerError, post(ha, hdr, body))
				assert.Contains(t, logs.String(), "could not release the dedupe lock")
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

// heldStore is a lockStore whose next Load, once armed, reads and then
// waits for hold to close before it answers, telling held when it starts
// waiting.
type heldStore struct {
	*lockStore
	armed      atomic.Bool
	held, hold chan struct{}
}

func (s *heldStore) Load(ctx context.Context, key string) (tokencache.Entry, bool, error) {
	e, ok, err := s.lockStore.Load(ctx, key)
	if s.armed.CompareAndSwap(true, false) {
		s.held <- struct{}{}
		<-s.hold
	}
	return e, ok, err
}

// Two replicas receive one event at once: one handles it, however their
// Store calls interleave. Here replica B's first read of the Store waits
// until replica A has answered.
func TestWebhookFleetDedupeWhateverTheInterleaving(t *testing.T) {
	for _, k := range kits() {
		t.Run(k.name, func(t *testing.T) {
			store := &heldStore{lockStore: newLockStore(), held: make(chan struct{}), hold: make(chan struct{})}
			var a, b counter
			ha := k.handler(k.secret, a.handle, hopts{store: store})
			hb := k.handler(k.secret, b.handle, hopts{store: store})
			hdr, body := k.sign(k.secret, "evt_i", k.eventType(), time.Now())
			store.armed.Store(true)
			answered := make(chan int)
			go func() { answered <- post(hb, hdr, body) }()
			<-store.held
			// B holds the claim: A answers 503 (B may yet fail), or 200 if
			// it could see B's mark.
			assert.Contains(t, []int{http.StatusOK, http.StatusServiceUnavailable}, post(ha, hdr, body))
			close(store.hold)
			assert.Equal(t, http.StatusOK, <-answered)
			assert.Equal(t, http.StatusOK, post(ha, hdr, body), "the provider's retry, once B marked it")
			assert.Equal(t, 1, a.n()+b.n(), "one handle call")
		})
	}
}

// saveFailStore is a lockStore whose Save fails.
type saveFailStore struct{ *lockStore }

func (saveFailStore) Save(context.Context, string, tokencache.Entry) error {
	return errors.New("store down")
}

// Store trouble is logged and never fails a delivery. A Store that fails
// outright leaves dedupe to memory; one that cannot save the handled mark
// lets a later duplicate on another replica be handled again: twice,
// never dropped.
func TestWebhookStoreTroubleIsLoggedNeverFatal(t *testing.T) {
	for _, k := range kits() {
		t.Run(k.name, func(t *testing.T) {
			var logs bytes.Buffer
			l := slog.New(slog.NewTextHandler(&logs, nil))
			typ := k.eventType()
			var c counter
			hc := k.handler(k.secret, c.handle, hopts{store: failStore{}, logger: l})
			hdr, body := k.sign(k.secret, "evt_down", typ, time.Now())
			assert.Equal(t, http.StatusOK, post(hc, hdr, body))
			assert.Equal(t, 1, c.n())
			assert.Contains(t, logs.String(), "dedupe Store failed")
			assert.NotContains(t, logs.String(), "could not mark")

			logs.Reset()
			store := saveFailStore{newLockStore()}
			var a, b counter
			ha := k.handler(k.secret, a.handle, hopts{store: store, logger: l})
			hb := k.handler(k.secret, b.handle, hopts{store: store, logger: l})
			hdr, body = k.sign(k.secret, "evt_unsaved", typ, time.Now())
			assert.Equal(t, http.StatusOK, post(ha, hdr, body))
			assert.Contains(t, logs.String(), "could not mark the event handled")
			assert.NotContains(t, logs.String(), "dedupe Store failed")
			assert.Equal(t, http.StatusOK, post(hb, hdr, body))
			assert.Equal(t, 2, a.n()+b.n(), "handled again, not dropped")
		})
	}
}
