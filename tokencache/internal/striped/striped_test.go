package striped

import (
	"runtime"
	"sync"
	"testing"
)

func TestCountsEveryIncrement(t *testing.T) {
	c := New()
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for range 1000 {
				c.Inc()
			}
		})
	}
	wg.Wait()
	if got := c.Load(); got != 64_000 {
		t.Fatalf("Load = %d, want 64000", got)
	}
}

// Goroutines counting at once spread over more than one slot.
func TestGoroutinesSpreadOverSlots(t *testing.T) {
	c := New()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 16 {
		wg.Go(func() {
			<-start
			c.Inc()
		})
	}
	close(start)
	wg.Wait()
	used := 0
	for i := range c.slots {
		if c.slots[i].n.Load() > 0 {
			used++
		}
	}
	if used < 2 {
		t.Fatalf("16 goroutines used %d slot(s) of %d", used, len(c.slots))
	}
}

func TestIncAllocatesNothing(t *testing.T) {
	c := New()
	if a := testing.AllocsPerRun(1000, c.Inc); a != 0 {
		t.Fatalf("Inc allocates %v", a)
	}
}

// Sixteen slots per P, rounded up to a power of two (the mask needs one).
func TestSlotsPerP(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for procs, want := range map[int]int{1: 16, 2: 32, 3: 64, 4: 64, 5: 128} {
		runtime.GOMAXPROCS(procs)
		c := New()
		if len(c.slots) != want || c.mask != uintptr(want-1) {
			t.Errorf("GOMAXPROCS=%d: %d slots, mask %#x; want %d", procs, len(c.slots), c.mask, want)
		}
	}
}
