package tokencache

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/assert"
)

// One goroutine at a time: every increment lands on the base line and the
// counter never spreads.
func TestHitCounterSerialStaysOnBase(t *testing.T) {
	h := newHitCounter()
	for range 1000 {
		h.inc()
	}
	assert.Equal(t, uint64(1000), h.load())
	assert.Nil(t, h.striped.Load())
}

// Once spread over per-processor slots, the counter still loses no
// increment, whoever counts and however often a GC empties the pool.
func TestHitCounterStripedCountsExactly(t *testing.T) {
	h := newHitCounter()
	h.inc()
	h.spread() // as at the first collision
	const workers, each = 8, 5000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				h.inc()
				if w == 0 && i%1000 == 0 {
					runtime.GC()
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, uint64(1+workers*each), h.load())
	assert.Equal(t, uint64(1), h.base.Load(), "striped increments never touch the base")
	assert.Len(t, *h.striped.Load(), 2*min(runtime.GOMAXPROCS(0), 64))
}

// A slot is leased to one processor at a time: a second lease gets another
// slot, and a lease the pool dropped frees its slot once collected.
func TestHitCounterLeasesDistinctSlots(t *testing.T) {
	h := newHitCounter()
	slots := make([]hitSlot, 2)
	h.striped.Store(&slots)
	a := h.lease().(*hitLease)
	b := h.lease().(*hitLease)
	assert.NotSame(t, a.slot, b.slot)
	c := h.lease().(*hitLease) // all leased: shares the first
	assert.Same(t, &slots[0], c.slot)
	runtime.KeepAlive(a) // b is dead from here on
	assert.Eventually(t, func() bool {
		runtime.GC()
		return !slots[1].held.Load()
	}, 5*time.Second, 10*time.Millisecond, "a collected lease frees its slot")
	d := h.lease().(*hitLease)
	assert.Same(t, &slots[1], d.slot)
	runtime.KeepAlive(a)
	runtime.KeepAlive(c)
}

// Under real contention the counter is exact whichever mode it ends in.
func TestHitCounterConcurrentIsExact(t *testing.T) {
	h := newHitCounter()
	const workers, each = 4, 20000
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				h.inc()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, uint64(workers*each), h.load())
}

// A Source that becomes garbage while its last hit is being counted keeps
// that hit: its cleanup, which moves a collected Source's hits to the
// cache's total, must not run before the increment lands (a pool refill
// inside a striped increment may allocate, and so a GC may run there).
func TestSourceCollectedDuringHitKeepsTheHit(t *testing.T) {
	c := New()
	defer c.Close()
	fetch := func(context.Context) (Token, error) {
		return Token{Value: "v", Type: "Bearer", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	src := c.Source("k", fetch)
	_, err := src.Token(context.Background()) // the miss, which fills the entry
	if err != nil {
		t.Fatal(err)
	}
	src.hits.spread()
	wp := weak.Make(src)
	collected := false
	refillHook = func() {
		refillHook = nil
		for range 5 {
			runtime.GC()
			time.Sleep(5 * time.Millisecond) // cleanups run on a goroutine of their own
		}
		collected = wp.Value() == nil
	}
	defer func() { refillHook = nil }()
	hitOnce(src)
	src = nil
	assert.False(t, collected, "the Source was collected in the middle of counting its hit")
	assert.Eventually(t, func() bool {
		runtime.GC()
		return wp.Value() == nil && c.Stats().Hits == 1
	}, 5*time.Second, 10*time.Millisecond, "one hit, counted once the Source is gone")
}

// hitOnce reads one token from src, which is dead once Token has read what
// it needs.
//
//go:noinline
func hitOnce(src *Source) { _, _ = src.Token(context.Background()) }
