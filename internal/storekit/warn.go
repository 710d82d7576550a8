package storekit

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// WarnEvery is how often a store logs one kind of trouble at most.
const WarnEvery = 30 * time.Second

// Warner logs a warning at most every WarnEvery, to a logger that may be
// nil (then it logs nothing). Its zero value is ready; it is safe for
// concurrent use. Callers pass only secret-free attributes.
type Warner struct {
	last atomic.Int64 // unix nanos of the last warning
}

// Warn logs msg with attrs unless a warning was logged within WarnEvery;
// concurrent callers log once.
func (w *Warner) Warn(l *slog.Logger, msg string, attrs ...slog.Attr) {
	if l == nil || !w.due() {
		return
	}
	l.LogAttrs(context.Background(), slog.LevelWarn, msg, attrs...)
}

func (w *Warner) due() bool {
	now := time.Now().UnixNano()
	prev := w.last.Load()
	return (prev == 0 || now-prev >= int64(WarnEvery)) && w.last.CompareAndSwap(prev, now)
}

// Cooldown is a clock a store keeps out of the way by after trouble. Its
// zero value is not cooling down; it is safe for concurrent use.
type Cooldown struct {
	until atomic.Int64 // unix nanos
}

// Active reports whether the cooldown is running.
func (c *Cooldown) Active() bool { return time.Now().UnixNano() < c.until.Load() }

// Start begins (or extends) a cooldown of d.
func (c *Cooldown) Start(d time.Duration) { c.until.Store(time.Now().Add(d).UnixNano()) }
