package provider_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/redistest"
	"github.com/checkoutkit/checkoutkit/tokencache/redisstore"
)

// TestWebhookFleetDedupeOnRedis: replicas sharing a real Redis through
// redisstore handle each event once, even when the same delivery reaches
// all of them at once, and a failure's retry is handled.
func TestWebhookFleetDedupeOnRedis(t *testing.T) {
	srv := redistest.Start(t)
	for _, k := range kits() {
		t.Run(k.name, func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
			defer rdb.Close()
			// A generous timeout: on a loaded machine a Redis answer can
			// take longer than the 500 ms default, and a Store error makes
			// each replica dedupe on its own (at least once, as documented),
			// which is not what this test is about.
			store, err := redisstore.New(rdb, redisstore.WithTimeout(10*time.Second))
			require.NoError(t, err)

			const replicas = 4
			var cs [replicas]counter
			var hs [replicas]http.Handler
			for i := range hs {
				hs[i] = k.handler(k.secret, cs[i].handle, hopts{store: store})
			}
			total := func() int {
				n := 0
				for i := range cs {
					n += cs[i].n()
				}
				return n
			}
			hdr, body := k.sign(k.secret, "evt_redis_"+k.name, k.eventType(), time.Now())
			var wg sync.WaitGroup
			for i := range 4 * replicas {
				// A replica that meets another's claim, before that one has
				// marked the event handled, answers 503: the provider retries.
				wg.Go(func() {
					assert.Contains(t, []int{http.StatusOK, http.StatusServiceUnavailable}, post(hs[i%replicas], hdr, body))
				})
			}
			wg.Wait()
			for i := range hs { // the provider's retries, once it is marked
				assert.Equal(t, http.StatusOK, post(hs[i], hdr, body))
			}
			assert.Equal(t, 1, total(), "one handle call across the fleet")

			hdr, body = k.sign(k.secret, "evt_redis_fail_"+k.name, k.eventType(), time.Now())
			cs[0].fail.Store(true)
			assert.Equal(t, http.StatusInternalServerError, post(hs[0], hdr, body))
			assert.Equal(t, http.StatusOK, post(hs[1], hdr, body), "the retry, on another replica")
			assert.Equal(t, http.StatusOK, post(hs[2], hdr, body))
			assert.Equal(t, 3, total())

			keys, err := rdb.Keys(context.Background(), "*").Result()
			require.NoError(t, err)
			for _, key := range keys {
				assert.NotContains(t, key, "evt_")
				ttl, err := rdb.PTTL(context.Background(), key).Result()
				require.NoError(t, err)
				assert.Greater(t, ttl, 71*time.Hour, "held for the dedupe window")
			}
		})
	}
}
