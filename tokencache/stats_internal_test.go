package tokencache

import (
	"runtime"
	"sync"
	"testing"

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
	assert.False(t, h.striped.Load())
}

// Once spread over per-processor lines, the counter still loses no
// increment, whoever counts and however the pool hands out lines (a GC
// empties the pool; its New hands out lines in turn).
func TestHitCounterStripedCountsExactly(t *testing.T) {
	h := newHitCounter()
	h.inc()
	h.striped.Store(true) // as after a collision
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
	var used int
	for i := range h.slots {
		if h.slots[i].n.Load() > 0 {
			used++
		}
	}
	assert.Positive(t, used)
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
