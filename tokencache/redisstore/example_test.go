package redisstore_test

import (
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/tokencache"
	"github.com/checkoutkit/checkoutkit/tokencache/redisstore"
)

// Every replica builds its cache the same way; between them they mint one
// Cartevo token per refresh. (Compiled, not run: it needs a Redis.)
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR"), ContextTimeoutEnabled: true})
	store, err := redisstore.New(rdb,
		redisstore.WithEncryptionKey([]byte(os.Getenv("TOKEN_CACHE_KEY"))), // 16+ bytes of secret
	)
	if err != nil {
		return // a bad option, such as a short key: fix the configuration
	}
	cache := tokencache.New(tokencache.WithStore(store))
	defer cache.Close()

	client, err := cartevo.New(os.Getenv("CARTEVO_CLIENT_ID"), os.Getenv("CARTEVO_CLIENT_KEY"), cartevo.WithCache(cache))
	if err != nil {
		return
	}
	defer client.Close()
}
