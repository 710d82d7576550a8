package tokencache

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// bubbleClock is the clock of a testing/synctest bubble: Add sleeps, so
// the cache's watchdog ticks as it would on the real clock, then waits
// until every goroutine of the bubble has settled.
type bubbleClock struct{}

func newFakeClock() bubbleClock { return bubbleClock{} }

func (bubbleClock) Now() time.Time { return time.Now() }

func (bubbleClock) Add(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// minter is a FetchFunc that counts its calls and mints tokens living life
// by the given clock.
type minter struct {
	calls atomic.Int64
	now   func() time.Time
	life  time.Duration
	delay time.Duration // sleep before answering
	gate  chan struct{} // if set, wait for it to be closed (or ctx) first
	err   error         // if set, fail with it
}

func (m *minter) fetch(ctx context.Context) (Token, error) {
	n := m.calls.Add(1)
	if m.gate != nil {
		select {
		case <-m.gate:
		case <-ctx.Done():
			return Token{}, ctx.Err()
		}
	}
	if m.delay > 0 {
		select {
		case <-time.After(m.delay):
		case <-ctx.Done():
			return Token{}, ctx.Err()
		}
	}
	if m.err != nil {
		return Token{}, m.err
	}
	return Token{Value: "tok-" + itoa(n), Type: "Bearer", ExpiresAt: m.now().Add(m.life)}, nil
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// newTestCache returns a cache with exact refresh times (no jitter),
// closed when the test ends. It must run in a synctest bubble, whose clock
// the returned one moves.
func newTestCache(t *testing.T, opts ...Option) (*Cache, bubbleClock) {
	t.Helper()
	clk := newFakeClock()
	c := New(append([]Option{WithRefreshJitter(0)}, opts...)...)
	t.Cleanup(func() { c.Close() })
	return c, clk
}

// settle waits until every other goroutine of the test's synctest bubble
// is blocked (a background refresh has finished or is parked on its gate),
// then checks cond.
func settle(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	synctest.Wait()
	require.True(t, cond(), msg)
}

// flyOnce runs key's flight body directly, as a caller reaching it would.
func flyOnce(c *Cache, key string, fetch FetchFunc) (Token, error) {
	v, err := c.fly(bg, nil, key, Fetcher{Fetch: fetch}, false)
	return v.(*flight).tok, err
}

// getter returns a function that Gets a key with fetch, failing the test
// on an error: for tests that only arrange which keys were used when.
func getter(t *testing.T, c *Cache, fetch FetchFunc) func(key string) {
	return func(key string) {
		t.Helper()
		_, err := c.Get(bg, key, fetch)
		require.NoError(t, err)
	}
}

// newTextLogger logs every level to w.
func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// entryOf is key's entry, if the cache holds one.
func entryOf(c *Cache, key string) (*entry, bool) {
	it, ok := c.entries.Load(key)
	if !ok {
		return nil, false
	}
	return it.e, true
}
