package tokencache

import "time"

// startWatchdog starts, once, the goroutine that keeps the coarse LRU clock
// and re-checks token states against the wall clock.
func (c *Cache) startWatchdog() {
	if c.watched.Load() || !c.watched.CompareAndSwap(false, true) {
		return
	}
	c.goBackground(c.watch)
}

// watch is the safety net for the timers that flip token states: Go's timers
// run on the monotonic clock, which stops while a machine is suspended, so
// after a resume a timer can fire long after the wall-clock time it stood
// for. Once a tick (default every second) it compares each token's times with
// the wall clock and moves any state the timers have not.
func (c *Cache) watch() {
	t := time.NewTicker(c.cfg.sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-c.base.Done():
			return
		case <-t.C:
			c.tick.Add(1)
			c.sweep(c.wall().Round(0)) // Round(0) drops the monotonic reading
		}
	}
}

func (c *Cache) sweep(wall time.Time) {
	c.entries.Range(func(_, v any) bool {
		if it := v.(*entry).cur.Load(); it != nil {
			it.advance(it.phaseAt(wall))
		}
		return true
	})
}
