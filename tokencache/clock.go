package tokencache

import (
	"sync/atomic"
	"time"
)

// clock is where a cache reads the time: Now on the slow path, and tick,
// a cheap reading in Unix nanoseconds on the hit path, which lags Now by
// at most a tick and never goes back (so it runs ahead of Now after the
// wall clock steps back; tokens installed then are shifted to match). Every state rule is written once against these two readings;
// the two clocks below differ only in how tick is kept.
type clock interface {
	Now() time.Time
	tick() int64
	// start is called whenever a token is installed: it begins whatever
	// keeps tick current.
	start(c *Cache)
}

// coarseClock is the real clock. Its tick is a value a watchdog moves to
// the wall clock once a second, which costs the hit path one load where
// reading the wall clock costs a system clock read. Go's timers run on the
// monotonic clock, which stops while a machine is suspended; the wall clock
// does not. So the first tick after a resume moves the coarse clock to the
// real time and every token that expired meanwhile stops being served at
// once, whatever the number of keys: no timer per token is needed, and
// none can fire late. A cache that never installs a token starts no
// goroutine.
type coarseClock struct {
	wall    func() time.Time // time.Now
	every   time.Duration
	value   atomic.Int64
	started atomic.Bool
}

func newCoarseClock() *coarseClock { return &coarseClock{wall: time.Now, every: time.Second} }

func (k *coarseClock) Now() time.Time { return k.wall() }

func (k *coarseClock) tick() int64 { return k.value.Load() }

func (k *coarseClock) start(c *Cache) {
	if k.started.Load() || !k.started.CompareAndSwap(false, true) {
		return
	}
	k.value.Store(nanos(k.wall()))
	if !c.enter() {
		return
	}
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(k.every)
		defer t.Stop()
		for {
			select {
			case <-c.base.Done():
				return
			case <-t.C:
				k.value.Store(max(k.value.Load(), nanos(k.wall())))
			}
		}
	}()
}

// funcClock is a clock given to [WithClock]: every reading calls it, so
// moving it changes token states at once.
type funcClock func() time.Time

func (f funcClock) Now() time.Time { return f() }

func (f funcClock) tick() int64 { return nanos(f()) }

func (funcClock) start(*Cache) {}
