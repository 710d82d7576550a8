package tokencache

import "time"

// startWatchdog starts, once, the goroutine that advances the coarse clock
// the hit path judges tokens by. Until the first token is fetched nothing
// can hit, so a cache that is never used starts no goroutine.
func (c *Cache) startWatchdog() {
	if c.watched.Load() || !c.watched.CompareAndSwap(false, true) {
		return
	}
	c.coarse.Store(nanos(c.Now()))
	if c.enter() {
		go c.watch()
	}
}

// watch moves the coarse clock to the cache's clock once a tick (every
// second). Go's timers run on the monotonic clock, which stops while a
// machine is suspended; the wall clock does not. So the first tick after a
// resume moves the coarse clock to the real time and every token that
// expired meanwhile stops being served at once, whatever the number of
// keys: no timer per token is needed, and none can fire late.
func (c *Cache) watch() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.tick)
	defer t.Stop()
	for {
		select {
		case <-c.base.Done():
			return
		case <-t.C:
			c.coarse.Store(max(c.coarse.Load(), nanos(c.Now())))
		}
	}
}
