package cartevo_test

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// The 401 limit holds per key, not per Client value: clients made with one
// WithCache and one credential share a token, so they share its re-mint
// window too. A backend that makes a client per request (or per tenant
// lookup) on a shared cache must not turn an endpoint that refuses every
// token into a mint per request.
func TestUnauthorizedStormAcrossClientsOfOneCacheMintsAtMostTwice(t *testing.T) {
	a, _ := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"success":false,"statusCode":401,"message":"Unauthorized"}`)
	})
	cache := tokencache.New()
	t.Cleanup(func() { cache.Close() })
	call := func() {
		c, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(a.URL+"/api/v1"), cartevo.WithCache(cache))
		require.NoError(t, err)
		defer c.Close()
		err = c.Call(bg, http.MethodGet, "/wallets", nil, nil)
		assert.True(t, errors.Is(err, cartevo.ErrUnauthorized), "want the 401, got %v", err)
	}
	for range 20 {
		call()
	}
	assert.LessOrEqual(t, a.mints.Load(), int32(2), "sequential clients")

	before := a.mints.Load()
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(call)
	}
	wg.Wait()
	assert.LessOrEqual(t, a.mints.Load()-before, int32(1), "concurrent clients, within the window")
}
