package tokencache

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// missAllocs is what one Get of a new key costs in allocations in a cache
// with no observers, no Store and no logger: the entry and its
// placeholder, the map's nodes, the token's item, singleflight's call and
// the flight's own state, and the fetch's timeout and its binding to
// Close.
const missAllocs = 16

// A miss allocates no more than it must. Two allocations slipped in once
// and no test saw them: a FetchInfo moved to the heap by the closure that
// ends an observed fetch (with no observer), and a valid token's expiry
// formatted for an error message that was never built.
func TestAMissWithoutObserversAllocatesNoMoreThanItMust(t *testing.T) {
	c := New(WithMaxEntries(1 << 20))
	defer c.Close()
	tok := Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}
	fetch := func(context.Context) (Token, error) { return tok, nil }
	keys := make([]string, 2000)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	i := 0
	n := testing.AllocsPerRun(1000, func() {
		if _, err := c.Get(context.Background(), keys[i], fetch); err != nil {
			t.Fatal(err)
		}
		i++
	})
	t.Logf("%.1f allocations per miss", n)
	if n > missAllocs {
		t.Errorf("a miss allocates %.1f times, want at most %d", n, missAllocs)
	}
}
