package tokencache

import "time"

// startWatchdog starts, once, the goroutine that advances the coarse clock.
func (c *Cache) startWatchdog() {
	if c.watched.Load() || !c.watched.CompareAndSwap(false, true) {
		return
	}
	c.goBackground(c.watch)
}

// watch advances the coarse clock that the hit path judges tokens by, once
// a tick (default every second), from the wall clock. Go's timers run on
// the monotonic clock, which stops while a machine is suspended; the wall
// clock does not. So the first tick after a resume moves the coarse clock
// to the real time and every token that expired meanwhile stops being
// served at once, whatever the number of keys: no timer per token is
// needed, and none can fire late.
func (c *Cache) watch() {
	t := time.NewTicker(c.cfg.tick)
	defer t.Stop()
	for {
		select {
		case <-c.base.Done():
			return
		case <-t.C:
			c.advanceCoarse(nanos(c.wall()))
		}
	}
}
