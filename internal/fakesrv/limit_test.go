package fakesrv

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	var l Limiter
	l.Set(2, time.Second, nil)
	if l.Window != time.Second {
		t.Fatalf("default window: %v", l.Window)
	}
	for i, want := range []bool{true, true, false} {
		if got := l.Allow("a", t0); got != want {
			t.Fatalf("request %d: %v", i, got)
		}
	}
	if !l.Allow("b", t0) {
		t.Fatal("keys are limited apart")
	}
	if !l.Allow("a", t0.Add(time.Second)) {
		t.Fatal("the window slides")
	}
	l.Set(1, time.Second, []time.Duration{time.Minute})
	if l.Window != time.Minute {
		t.Fatalf("window: %v", l.Window)
	}
	var off Limiter
	for range 100 {
		if !off.Allow("a", t0) {
			t.Fatal("zero value allows everything")
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("two windows: no panic")
		}
	}()
	l.Set(1, time.Second, []time.Duration{time.Second, time.Minute})
}
