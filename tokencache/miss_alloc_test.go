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
//
// At capacity, the eviction a miss makes allocates nothing more: the
// eviction events are gathered only for observers (a slice of evicted
// entries once cost one allocation per eviction, observed or not).
func TestAMissWithoutObserversAllocatesNoMoreThanItMust(t *testing.T) {
	for _, full := range []bool{false, true} {
		t.Run(fmt.Sprintf("at-capacity=%v", full), func(t *testing.T) {
			bound := 1 << 20
			if full {
				bound = 100
			}
			c := New(WithMaxEntries(bound))
			defer c.Close()
			tok := Token{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}
			fetch := func(context.Context) (Token, error) { return tok, nil }
			keys := make([]string, 2200)
			for i := range keys {
				keys[i] = fmt.Sprintf("k%d", i)
			}
			for _, k := range keys[:100] { // fills the small cache
				if _, err := c.Get(context.Background(), k, fetch); err != nil {
					t.Fatal(err)
				}
			}
			i := 100
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
			if full && c.Stats().Evictions == 0 {
				t.Error("the full cache evicted nothing")
			}
		})
	}
}
