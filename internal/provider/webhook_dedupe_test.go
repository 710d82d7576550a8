package provider

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSeenWindowAndBound(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := newSeen(time.Hour, 3)

	st, _ := s.claim("a", now)
	assert.Equal(t, claimed, st)
	st, wait := s.claim("a", now)
	assert.Equal(t, inFlight, st, "a second delivery while the first is handled waits")
	s.finish("a", true, now)
	select {
	case <-wait:
	default:
		t.Fatal("the waiter was not woken")
	}
	st, _ = s.claim("a", now.Add(59*time.Minute))
	assert.Equal(t, duplicate, st)
	st, _ = s.claim("a", now.Add(time.Hour))
	assert.Equal(t, claimed, st, "forgotten after the window")
	s.finish("a", false, now.Add(time.Hour))
	st, _ = s.claim("a", now.Add(time.Hour))
	assert.Equal(t, claimed, st, "a failed handle forgets the id")
	s.finish("a", false, now)

	// at most 3 remembered: the oldest go first
	for i := range 5 {
		id := strconv.Itoa(i)
		s.claim(id, now)
		s.finish(id, true, now.Add(time.Duration(i)*time.Second))
	}
	assert.Equal(t, 3, s.len())
	st, _ = s.claim("0", now.Add(10*time.Second))
	assert.Equal(t, claimed, st, "evicted")
	st, _ = s.claim("4", now.Add(10*time.Second))
	assert.Equal(t, duplicate, st)

	// an id handled again after eviction is not dropped by its old place
	s2 := newSeen(time.Hour, 2)
	s2.claim("x", now)
	s2.finish("x", true, now)
	s2.claim("y", now)
	s2.finish("y", true, now.Add(time.Second))
	s2.claim("z", now)
	s2.finish("z", true, now.Add(2*time.Second)) // evicts x
	s2.claim("x", now)
	s2.finish("x", true, now.Add(3*time.Second)) // evicts y
	st, _ = s2.claim("x", now.Add(4*time.Second))
	assert.Equal(t, duplicate, st)
	assert.Equal(t, 2, s2.len())
}

func TestSeenPrunesExpired(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := newSeen(time.Minute, 1000)
	for i := range 100 {
		id := strconv.Itoa(i)
		s.claim(id, now)
		s.finish(id, true, now)
	}
	s.claim("new", now.Add(2*time.Minute))
	assert.Equal(t, 1, s.len(), "expired ids are pruned on the next claim")
}

// An id handled exactly one window ago is pruned: the window is
// half-open, as claim's check is.
func TestSeenPrunesAtTheWindowsEnd(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := newSeen(time.Minute, 1000)
	s.claim("old", now)
	s.finish("old", true, now)
	s.claim("new", now.Add(time.Minute-time.Nanosecond))
	assert.Equal(t, 2, s.len(), "inside the window: kept")
	s.claim("newer", now.Add(time.Minute))
	assert.Equal(t, 2, s.len(), "at the window's end: pruned (new and newer stay)")
}

// A timestamp exactly WebhookTolerance away, either side, is accepted; a
// second more is refused.
func TestUnixTimestampTolerance(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, c := range []struct {
		off time.Duration
		ok  bool
	}{
		{0, true},
		{WebhookTolerance, true},
		{-WebhookTolerance, true},
		{WebhookTolerance + time.Second, false},
		{-WebhookTolerance - time.Second, false},
	} {
		ts := strconv.FormatInt(now.Add(c.off).Unix(), 10)
		got, err := UnixTimestamp("crovver", ts, now)
		if c.ok {
			assert.NoError(t, err, "offset %v", c.off)
			assert.Equal(t, now.Add(c.off).Unix(), got.Unix())
		} else {
			assert.Error(t, err, "offset %v", c.off)
		}
	}
	_, err := UnixTimestamp("crovver", "", now)
	assert.Error(t, err)
}
