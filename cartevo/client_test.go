package cartevo_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var bg = context.Background()

// inBubble runs f inside a testing/synctest bubble, on the cache's
// production clock (its timers, its watchdog), against a fake that stays
// outside the bubble with a clock of its own. advance moves both: the
// bubble's time by sleeping, the fake's by Add. The client keeps no idle
// connection: a goroutine parked on a socket is never durably blocked, and
// the bubble's time could not move.
func inBubble(t *testing.T, srvOpts []cartevotest.Option, opts []cartevo.Option, f func(t *testing.T, c *cartevo.Client, srv *cartevotest.Server, advance func(time.Duration))) {
	t.Helper()
	clk := newClock()
	srv := cartevotest.NewServer(append([]cartevotest.Option{cartevotest.WithClock(clk.Now)}, srvOpts...)...)
	t.Cleanup(srv.Close)
	synctest.Test(t, func(t *testing.T) {
		hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		c, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, append([]cartevo.Option{
			cartevo.WithBaseURL(srv.URL()), cartevo.WithHTTPClient(hc),
		}, opts...)...)
		require.NoError(t, err)
		defer c.Close()
		f(t, c, srv, func(d time.Duration) {
			time.Sleep(d)
			clk.Add(d)
			synctest.Wait()
		})
	})
}

// fakeClient starts a fake and a client for it sharing one fake clock.
func fakeClient(t *testing.T, srvOpts []cartevotest.Option, opts ...cartevo.Option) (*cartevo.Client, *cartevotest.Server, *fakeclock.Clock) {
	t.Helper()
	clk := newClock()
	srv := cartevotest.NewServer(append([]cartevotest.Option{cartevotest.WithClock(clk.Now)}, srvOpts...)...)
	t.Cleanup(srv.Close)
	cache := tokencache.New()
	t.Cleanup(func() { cache.Close() })
	c, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, append([]cartevo.Option{
		cartevo.WithBaseURL(srv.URL()), cartevo.WithCache(cache),
	}, opts...)...)
	require.NoError(t, err)
	return c, srv, clk
}

func TestNewValidatesBeforeAnyRequest(t *testing.T) {
	cases := map[string]struct {
		id, key string
		opts    []cartevo.Option
		field   string
	}{
		"empty id":        {"", "k", nil, "clientID"},
		"blank id":        {"  ", "k", nil, "clientID"},
		"empty key":       {"id", "", nil, "clientKey"},
		"http base URL":   {"id", "k", []cartevo.Option{cartevo.WithBaseURL("http://api.cartevo.co/api/v1")}, "WithBaseURL"},
		"garbage baseURL": {"id", "k", []cartevo.Option{cartevo.WithBaseURL("::")}, "WithBaseURL"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := cartevo.New(tc.id, tc.key, tc.opts...)
			assert.Nil(t, c)
			require.ErrorIs(t, err, cartevo.ErrInvalidRequest)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
}

func TestDefaultsAndClose(t *testing.T) {
	c, err := cartevo.New("id", "k")
	require.NoError(t, err)
	assert.Equal(t, cartevo.DefaultBaseURL+"/wallets", c.URL("/wallets"))
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
}

func TestHerdMintsOnce(t *testing.T) {
	c, srv, _ := fakeClient(t, nil)
	var wg sync.WaitGroup
	tokens := make([]string, 500)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := c.AccessToken(bg)
			assert.NoError(t, err)
			tokens[i] = tok.Value
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, srv.Mints())
	for _, v := range tokens {
		assert.Equal(t, tokens[0], v)
	}
}

func TestRefreshesFiveMinutesEarly(t *testing.T) {
	inBubble(t, nil, nil, func(t *testing.T, c *cartevo.Client, srv *cartevotest.Server, advance func(time.Duration)) {
		first, err := c.AccessToken(bg)
		require.NoError(t, err)
		assert.Equal(t, time.Now().Add(time.Hour), first.ExpiresAt, "receipt time + expires_in")

		advance(54 * time.Minute)
		tok, err := c.AccessToken(bg)
		require.NoError(t, err)
		assert.Equal(t, first, tok)
		assert.Equal(t, 1, srv.Mints())

		advance(2 * time.Minute) // 4 min left: stale, served, refreshed in the background
		tok, err = c.AccessToken(bg)
		require.NoError(t, err)
		assert.Equal(t, first.Value, tok.Value, "a stale token is served at once")
		synctest.Wait() // the background refresh
		assert.Equal(t, 2, srv.Mints())
		tok, err = c.AccessToken(bg)
		require.NoError(t, err)
		assert.NotEqual(t, first.Value, tok.Value)
		assert.Equal(t, time.Now().Add(time.Hour), tok.ExpiresAt)
	})
}

func TestLongLifetimeFromServer(t *testing.T) {
	inBubble(t, []cartevotest.Option{cartevotest.WithExpiresIn(24 * time.Hour)}, nil, func(t *testing.T, c *cartevo.Client, _ *cartevotest.Server, _ func(time.Duration)) {
		tok, err := c.AccessToken(bg)
		require.NoError(t, err)
		assert.Equal(t, time.Now().Add(24*time.Hour), tok.ExpiresAt)
	})
}

func TestDoRecoversFromRotatedKey(t *testing.T) {
	clk := newClock()
	srv := cartevotest.NewServer(cartevotest.WithClock(clk.Now))
	defer srv.Close()
	cache := tokencache.New()
	defer cache.Close()
	old, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()), cartevo.WithCache(cache))
	require.NoError(t, err)
	var wallets []map[string]any
	require.NoError(t, old.Call(bg, http.MethodGet, "/wallets", nil, &wallets))
	assert.Len(t, wallets, 2)

	newKey := srv.RotateKey(cartevotest.ClientID)
	// The old client's cached token is now refused; it refreshes once,
	// but its key is gone too: the 401 from /auth/token comes back.
	err = old.Call(bg, http.MethodGet, "/wallets", nil, nil)
	require.ErrorIs(t, err, cartevo.ErrUnauthorized)
	assert.Equal(t, 1, srv.Mints(), "no mint succeeded with the old key")

	// A client on the new key gets a token; an expired-by-rotation token is
	// replaced transparently by Do.
	fresh, err := cartevo.New(cartevotest.ClientID, newKey, cartevo.WithBaseURL(srv.URL()), cartevo.WithCache(cache))
	require.NoError(t, err)
	require.NoError(t, fresh.Call(bg, http.MethodGet, "/wallets", nil, nil))
	assert.Equal(t, 2, srv.Mints())
}

func TestDoRefreshesOnceOnRevokedToken(t *testing.T) {
	c, srv, _ := fakeClient(t, nil)
	require.NoError(t, c.Call(bg, http.MethodGet, "/wallets", nil, nil))
	srv.RevokeTokens(cartevotest.ClientID)

	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, c.Call(bg, http.MethodGet, "/wallets", nil, nil))
		}()
	}
	wg.Wait()
	assert.Equal(t, 2, srv.Mints(), "20 concurrent 401s, one refresh")
}

func TestRateLimitBacksOff(t *testing.T) {
	inBubble(t, []cartevotest.Option{cartevotest.WithRateLimit(1, time.Minute)}, nil, func(t *testing.T, c *cartevo.Client, srv *cartevotest.Server, advance func(time.Duration)) {
		other, err := cartevo.New("client_two", "key_two", cartevo.WithBaseURL(srv.URL()),
			cartevo.WithHTTPClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}))
		require.NoError(t, err)
		defer other.Close()

		_, err = c.AccessToken(bg) // uses the only slot
		require.NoError(t, err)
		_, err = other.AccessToken(bg)
		require.ErrorIs(t, err, cartevo.ErrRateLimited)
		calls := srv.TokenRequests()
		_, err = other.AccessToken(bg)
		require.ErrorIs(t, err, cartevo.ErrRateLimited)
		require.ErrorIs(t, err, tokencache.ErrBackoff, "the cache backs off instead of hammering")
		assert.Equal(t, calls, srv.TokenRequests())

		advance(2 * time.Minute) // past the backoff and the provider's window
		_, err = other.AccessToken(bg)
		require.ErrorIs(t, err, cartevo.ErrUnauthorized, "reached the provider again (and client_two is unknown)")
	})
}

func TestServerErrorsAreRetried(t *testing.T) {
	c, srv, _ := fakeClient(t, nil)
	srv.FailNext(503, 500)
	_, err := c.AccessToken(bg)
	require.NoError(t, err)
	assert.Equal(t, 3, srv.TokenRequests())
	assert.Equal(t, 1, srv.Mints())
}

func TestCallerCancelDoesNotFailOthers(t *testing.T) {
	c, srv, _ := fakeClient(t, nil)
	srv.SetDelay(50 * time.Millisecond)
	ctx, cancel := context.WithCancel(bg)
	impatient := make(chan error, 1)
	go func() { _, err := c.AccessToken(ctx); impatient <- err }()
	require.Eventually(t, func() bool { return srv.TokenRequestsStarted() == 1 }, 5*time.Second, time.Millisecond, "the mint is in flight")
	patient := make(chan error, 1)
	go func() { _, err := c.AccessToken(bg); patient <- err }()
	cancel()
	require.ErrorIs(t, <-impatient, context.Canceled)
	require.NoError(t, <-patient, "the impatient caller's cancellation did not fail the shared mint")
	assert.Equal(t, 1, srv.Mints())
	assert.Equal(t, 1, srv.TokenRequestsStarted())
}

func TestClientsWithDifferentCredentialsShareNothing(t *testing.T) {
	clk := newClock()
	srv := cartevotest.NewServer(cartevotest.WithClock(clk.Now), cartevotest.WithClient("client_b", "key_b"))
	defer srv.Close()
	cache := tokencache.New()
	defer cache.Close()
	a, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()), cartevo.WithCache(cache))
	require.NoError(t, err)
	b, err := cartevo.New("client_b", "key_b", cartevo.WithBaseURL(srv.URL()), cartevo.WithCache(cache))
	require.NoError(t, err)
	wrong, err := cartevo.New("client_b", "not_the_key", cartevo.WithBaseURL(srv.URL()), cartevo.WithCache(cache))
	require.NoError(t, err)

	ta, err := a.AccessToken(bg)
	require.NoError(t, err)
	tb, err := b.AccessToken(bg)
	require.NoError(t, err)
	assert.NotEqual(t, ta.Value, tb.Value)
	_, err = wrong.AccessToken(bg)
	assert.ErrorIs(t, err, cartevo.ErrUnauthorized, "a wrong key never sees b's cached token")
	assert.Equal(t, 2, srv.Mints())
}

func TestDoRefusesOtherHosts(t *testing.T) {
	c, srv, _ := fakeClient(t, nil)
	req, _ := http.NewRequest(http.MethodGet, "https://attacker.example/steal", nil)
	_, err := c.Do(req)
	require.ErrorIs(t, err, cartevo.ErrInvalidRequest)
	assert.Equal(t, 0, srv.TokenRequests())
}

func TestSecretsNeverPrinted(t *testing.T) {
	c, srv, _ := fakeClient(t, nil)
	tok, err := c.AccessToken(bg)
	require.NoError(t, err)

	bad, err := cartevo.New(cartevotest.ClientID, "ck_WRONG_SECRET_123", cartevo.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	defer bad.Close()
	_, authErr := bad.AccessToken(bg)
	require.Error(t, authErr)

	outputs := []string{
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%v", *c), fmt.Sprintf("%+v", *c),
		fmt.Sprintf("%v", bad), fmt.Sprintf("%+v", *bad), fmt.Sprintf("%#v", *bad),
		fmt.Sprintf("%v", tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok),
		authErr.Error(), fmt.Sprintf("%+v", authErr), fmt.Sprintf("%#v", authErr),
	}
	for _, out := range outputs {
		assert.NotContains(t, out, cartevotest.ClientKey)
		assert.NotContains(t, out, "ck_WRONG_SECRET_123")
		assert.NotContains(t, out, tok.Value)
		assert.NotContains(t, out, tok.Value[:20])
	}
	assert.Contains(t, fmt.Sprintf("%v", c), "cartevo.Client{baseURL: http://127.0.0.1")
	var ae *cartevo.APIError
	require.True(t, errors.As(authErr, &ae))
	assert.True(t, strings.Contains(ae.Message, "Invalid client credentials"))
}

func TestFieldErrorNamesTheField(t *testing.T) {
	_, err := cartevo.New("id", " ")
	var fe *cartevo.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "clientKey", fe.Field)
}

func TestRetryWaitOption(t *testing.T) {
	// Seven retries: with the default waits (full jitter up to 100 ms, 200
	// ms, … 2 s) they take about 4.5 s on average and under 1 s almost
	// never; capped at 1 ms they take a few milliseconds.
	c, srv, _ := fakeClient(t, nil, cartevo.WithRetryWait(time.Millisecond, time.Millisecond), cartevo.WithMaxAttempts(8))
	srv.FailNext(500, 502, 503, 500, 502, 503, 500)
	start := time.Now()
	_, err := c.AccessToken(bg)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), time.Second, "seven 1 ms waits")
	assert.Equal(t, 8, srv.TokenRequests())

	_, err = cartevo.New("id", "key", cartevo.WithRetryWait(time.Second, time.Millisecond))
	assert.ErrorIs(t, err, cartevo.ErrInvalidRequest, "min above max is an error from New")
	assert.ErrorContains(t, err, "WithRetryWait")
	_, err = cartevo.New("id", "key", cartevo.WithMaxAttempts(-1))
	assert.ErrorContains(t, err, "WithMaxAttempts")
	c0, err := cartevo.New("id", "key", cartevo.WithMaxAttempts(0), cartevo.WithHTTPClient(nil))
	require.NoError(t, err, "zero values mean the defaults")
	c0.Close()
}

func TestDroppedClientReleasesItsCache(t *testing.T) {
	srv := cartevotest.NewServer()
	defer srv.Close()
	before := goleak.IgnoreCurrent()
	func() {
		c, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()))
		require.NoError(t, err)
		_, err = c.AccessToken(bg) // starts the cache's watchdog and a fetch worker
		require.NoError(t, err)
	}()
	require.Eventually(t, func() bool {
		runtime.GC()
		return goleak.Find(before) == nil
	}, 5*time.Second, 20*time.Millisecond, "no goroutine outlives a dropped client")
}

// WithRateLimit(n) without a window is Cartevo's own: n per 60 s.
func TestFakeRateLimitDefaultWindow(t *testing.T) {
	srv := cartevotest.NewServer(cartevotest.WithRateLimit(1), cartevotest.WithClock(fakeclock.New(time.Now()).Now))
	defer srv.Close()
	for i, want := range []error{nil, cartevo.ErrRateLimited} {
		c, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()), cartevo.WithMaxAttempts(1))
		require.NoError(t, err)
		_, err = c.AccessToken(bg)
		c.Close()
		if want == nil {
			assert.NoError(t, err, i)
		} else {
			assert.ErrorIs(t, err, want, i)
		}
	}
}
