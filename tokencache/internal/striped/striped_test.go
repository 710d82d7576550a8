package striped

import (
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
