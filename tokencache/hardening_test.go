package tokencache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
)

// An evicted entry's token goes with it: a Source bound to the entry must
// not go on serving it, least of all after it was invalidated.
func TestEvictionEmptiesTheEntryASourceHolds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t, WithMaxEntries(1))
		m := &minter{now: clk.Now, life: time.Hour}
		s := c.Source("a", m.fetch)
		first, err := s.Token(bg)
		require.NoError(t, err)
		require.NotNil(t, s.e.Load(), "bound on its first call")
		_, err = c.Get(bg, "b", m.fetch) // evicts a
		require.NoError(t, err)
		c.Invalidate("a", first) // a 401: the cache no longer holds a
		tok, err := s.Token(bg)
		require.NoError(t, err)
		assert.NotEqual(t, first.Value, tok.Value, "the evicted, invalidated token is not served")
		e, ok := entryOf(c, "a")
		require.True(t, ok)
		assert.Same(t, e, s.e.Load(), "the Source rebinds to the key's new entry")
	})
}

// Close returns only once every flight has returned.
func TestCloseWaitsForFlightsInProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New()
		var returned atomic.Bool
		started := make(chan struct{})
		go func() {
			_, _ = c.Get(bg, "k", func(ctx context.Context) (Token, error) {
				close(started)
				<-ctx.Done()
				time.Sleep(100 * time.Millisecond) // a slow cleanup after cancel
				returned.Store(true)
				return Token{}, ctx.Err()
			})
		}()
		<-started
		require.NoError(t, c.Close())
		assert.True(t, returned.Load(), "Close returned while a fetch was still running")
	})
}

// After a 401 drove the key into a failed re-mint (a 429), the token that
// other requests still accept keeps being served until it expires.
func TestInvalidatedTokenIsTheLastResortWhileBackingOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk := newTestCache(t)
		m := &minter{now: clk.Now, life: time.Hour}
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		c.Invalidate("k", tok)
		m.err = errUpstream
		got, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err, "the failed re-mint hands back the last token")
		assert.Equal(t, tok, got)
		for range 5 {
			got, err = c.Get(bg, "k", m.fetch)
			require.NoError(t, err)
			assert.Equal(t, tok, got)
		}
		assert.EqualValues(t, 2, m.calls.Load(), "no mint while backing off")

		clk.Add(time.Hour) // expired: nothing to fall back on
		_, err = c.Get(bg, "k", m.fetch)
		require.ErrorIs(t, err, errUpstream)

		// A successful mint forgets the fallback.
		m.err = nil
		clk.Add(time.Minute)
		fresh, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		e, _ := entryOf(c, "k")
		assert.Nil(t, e.lastResort(c.now()))
		assert.NotEqual(t, tok.Value, fresh.Value)
	})
}

// Entries loaded from a Store pass the checks a fresh mint passes: a forged
// one is a miss, and the cache mints instead.
func TestStoreEntriesAreChecked(t *testing.T) {
	for name, bad := range map[string]func(now time.Time) Entry{
		"ten years": func(now time.Time) Entry {
			return Entry{Token: Token{Value: "forged", ExpiresAt: now.AddDate(10, 0, 0)}, RefreshAt: now.AddDate(9, 0, 0)}
		},
		"16 MiB": func(now time.Time) Entry {
			return Entry{Token: Token{Value: strings.Repeat("x", 16<<20), ExpiresAt: now.Add(time.Hour)}, RefreshAt: now.Add(50 * time.Minute)}
		},
		"empty": func(now time.Time) Entry {
			return Entry{Token: Token{ExpiresAt: now.Add(time.Hour)}, RefreshAt: now.Add(50 * time.Minute)}
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := newMemStore()
				c, clk := newTestCache(t, WithStore(st))
				require.NoError(t, st.Save(bg, "k", bad(clk.Now())))
				m := &minter{now: clk.Now, life: time.Hour}
				tok, err := c.Get(bg, "k", m.fetch)
				require.NoError(t, err)
				assert.Equal(t, "tok-1", tok.Value, "the forged entry is a miss: minted instead")
				assert.Zero(t, c.Stats().StoreHits)
			})
		})
	}
}

// A Fetcher's Check vets what the Store hands back: a token bound to
// another customer is a miss; one that passes is served as it is.
func TestStoreEntriesPassTheFetchersCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		c, clk := newTestCache(t, WithStore(st))
		check := func(tok Token) error {
			if tok.Extra["customer"] != "12345" {
				return errors.New("minted for another customer")
			}
			return nil
		}
		m := &minter{now: clk.Now, life: time.Hour}
		entry := func(customer string) Entry {
			return Entry{Token: Token{Value: "from-" + customer, ExpiresAt: clk.Now().Add(time.Hour), Extra: map[string]string{"customer": customer}}, RefreshAt: clk.Now().Add(50 * time.Minute)}
		}
		require.NoError(t, st.Save(bg, "a", entry("999")))
		tok, err := c.SourceWith("a", Fetcher{Fetch: m.fetch, Check: check}).Token(bg)
		require.NoError(t, err)
		assert.Equal(t, "tok-1", tok.Value, "999's token is not served for 12345: minted instead")

		require.NoError(t, st.Save(bg, "b", entry("12345")))
		tok, err = c.GetWith(bg, "b", Fetcher{Fetch: m.fetch, Check: check})
		require.NoError(t, err)
		assert.Equal(t, "from-12345", tok.Value)
		assert.EqualValues(t, 1, c.Stats().StoreHits)
	})
}

// A clock given to WithClock drives the hit path too: a jump of it is seen
// by the very next Get, with no watchdog tick in between.
func TestWithClockJumpIsSeenByTheNextGet(t *testing.T) {
	clk := fakeclock.New(time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC))
	c := New(WithClock(clk.Now), WithRefreshJitter(0))
	defer c.Close()
	m := &minter{now: clk.Now, life: time.Hour}
	first, err := c.Get(bg, "k", m.fetch)
	require.NoError(t, err)
	for range 3 {
		tok, err := c.Get(bg, "k", m.fetch)
		require.NoError(t, err)
		assert.Equal(t, first, tok)
	}
	assert.EqualValues(t, 3, c.Stats().Hits)
	clk.Add(time.Hour) // past ExpiresAt at once
	tok, err := c.Get(bg, "k", m.fetch)
	require.NoError(t, err)
	assert.NotEqual(t, first.Value, tok.Value, "the expired token is not served from the hit path")
	assert.True(t, clk.Now().Before(tok.ExpiresAt))
}

// A closed cache holds nothing: Stats says 0 entries (an instrumented
// cache's entries gauge falls to 0 when it closes, though the meter
// provider still reads it), the entries' tokens can be collected, and every
// read, through Get or a Source bound before Close, gets ErrClosed.
func TestCloseDropsEveryEntry(t *testing.T) {
	c := New()
	fetch := func(context.Context) (Token, error) {
		return Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	s := c.Source("k0", fetch)
	_, err := s.Token(bg)
	require.NoError(t, err)
	for i := range 100 {
		_, err := c.Get(bg, fmt.Sprint("k", i), fetch)
		require.NoError(t, err)
	}
	require.Equal(t, 100, c.Stats().Entries)
	require.NoError(t, c.Close())
	assert.Equal(t, 0, c.Stats().Entries)
	assert.Zero(t, c.entries.Size(), "the map still holds entries")
	_, err = c.Get(bg, "k1", fetch)
	assert.ErrorIs(t, err, ErrClosed)
	_, err = s.Token(bg)
	assert.ErrorIs(t, err, ErrClosed)
}
