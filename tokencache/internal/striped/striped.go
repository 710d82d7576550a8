// Package striped is a counter that cores can add to at once without
// sharing a cache line.
package striped

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Counter is a sum of slots, each on cache lines of its own. An increment
// picks its slot from the address of one of its own stack variables:
// goroutines run on stacks of their own, so two goroutines counting at
// once mostly write to different lines, and a goroutine keeps to its slot
// (until its stack moves). The zero value is not usable; use [New].
type Counter struct {
	slots []slot
	mask  uintptr // len(slots) - 1: a power of two
}

type slot struct {
	n atomic.Uint64
	_ [120]byte // two lines apart from the next slot's n
}

// New returns a Counter with at least 16 slots per processor (GOMAXPROCS
// now), a power of two: two goroutines counting at once share a slot with
// a chance of one in that many.
func New() *Counter {
	n := 1
	for n < 16*runtime.GOMAXPROCS(0) {
		n *= 2
	}
	return &Counter{slots: make([]slot, n), mask: uintptr(n - 1)}
}

// Inc adds one. It never allocates and costs one uncontended atomic add
// while goroutines on different stacks count at once.
func (c *Counter) Inc() {
	var here byte
	// Stacks are at least 2 KiB: the address above the low 11 bits names
	// the stack, and a multiplicative hash spreads stacks that lie next to
	// each other (or a power of two apart) over the slots.
	h := (uintptr(unsafe.Pointer(&here)) >> 11) * 0x9e3779b97f4a7c15
	c.slots[(h>>(64-20))&c.mask].n.Add(1)
}

// Load returns the sum. Increments that race with it may or may not be
// counted; none is ever lost.
func (c *Counter) Load() uint64 {
	var n uint64
	for i := range c.slots {
		n += c.slots[i].n.Load()
	}
	return n
}
