package tokencache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/checkoutkit/checkoutkit/tokencache"
)

func Example() {
	cache := tokencache.New()
	defer cache.Close()

	mints := 0
	fetch := func(ctx context.Context) (tokencache.Token, error) {
		mints++ // call the provider here
		return tokencache.Token{
			Value:     fmt.Sprintf("secret-%d", mints),
			Type:      "Bearer",
			ExpiresAt: cache.Now().Add(time.Hour), // receipt time + stated lifetime
		}, nil
	}

	ctx := context.Background()
	tok, _ := cache.Get(ctx, "provider:credential-hash", fetch)
	again, _ := cache.Get(ctx, "provider:credential-hash", fetch)
	fmt.Println(tok.Value == again.Value, "mints:", mints)

	// The provider answered 401 to a request made with tok: drop exactly
	// that token. The next Get mints a new one.
	cache.Invalidate("provider:credential-hash", tok)
	fresh, _ := cache.Get(ctx, "provider:credential-hash", fetch)
	fmt.Println(fresh.Value != tok.Value, "mints:", mints)

	// Tokens print redacted.
	fmt.Println(fresh.Type, fmt.Sprintf("%v", fresh)[:17])
	// Output:
	// true mints: 1
	// true mints: 2
	// Bearer Bearer [redacted]
}

func ExampleCache_Source() {
	cache := tokencache.New()
	defer cache.Close()

	src := cache.Source("cartevo:access", func(ctx context.Context) (tokencache.Token, error) {
		return tokencache.Token{Value: "access-token", Type: "Bearer", ExpiresAt: cache.Now().Add(time.Hour)}, nil
	})
	for range 3 {
		tok, err := src.Token(context.Background())
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		_ = tok // set "Authorization: Bearer " + tok.Value
	}
	fmt.Println("fetches:", cache.Stats().Fetches)
	// Output:
	// fetches: 1
}
