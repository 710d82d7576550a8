package provider

import (
	"context"
	"testing"

	"github.com/checkoutkit/checkoutkit/tokencache"
)

// remintEntries counts the 401 windows held for cache.
func remintEntries(c *tokencache.Cache) int {
	n := 0
	remints.Range(func(k, _ any) bool {
		if k.(remintKey).cache.Value() == c {
			n++
		}
		return true
	})
	return n
}

// A backend on one long-lived shared cache builds clients for many
// credentials (a client per tenant, tenants coming and going). The cache
// bounds its entries (WithMaxEntries evicts the rest), but the 401 window
// of every key a client was ever built for stayed in the package's map for
// the cache's life: 5,000 short-lived clients that never saw a 401 left
// 5,000 entries behind.
func TestRemintWindowsDoNotAccumulateOnASharedCache(t *testing.T) {
	c := tokencache.New(tokencache.WithMaxEntries(100))
	defer c.Close()
	b := &Base{Name: "test", Cache: c}
	mint := func(context.Context) (tokencache.Token, error) { return tokencache.Token{}, nil }
	for i := range 5000 {
		_ = b.Source(Key("test", "tenant", string(rune('a'+i%26)), string(rune(i))), Call{}, mint, nil)
	}
	if n := remintEntries(c); n > 100 {
		t.Fatalf("%d 401 windows held for clients long gone (the cache itself keeps at most 100 keys)", n)
	}
}
