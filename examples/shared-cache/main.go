// Command shared-cache shows two replicas of a backend sharing one Cartevo
// access token through Redis: the second replica reads the token the first
// minted instead of minting its own, and a refresh is minted once for both.
//
//	go run ./examples/shared-cache
//
// It uses REDIS_ADDR if set, else starts a throwaway redis-server from PATH
// on a free loopback port. Cartevo is the in-process fake.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/tokencache"
	"github.com/checkoutkit/checkoutkit/tokencache/redisstore"
)

func main() {
	addr := os.Getenv("REDIS_ADDR")
	if addr == "" {
		var stop func()
		var err error
		if addr, stop, err = startRedis(); err != nil {
			fmt.Fprintln(os.Stderr, "shared-cache:", err)
			os.Exit(1)
		}
		defer stop()
	}
	if err := run(context.Background(), os.Stdout, addr); err != nil {
		fmt.Fprintln(os.Stderr, "shared-cache:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, redisAddr string) error {
	srv := cartevotest.NewServer()
	defer srv.Close()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis at %s: %w", redisAddr, err)
	}
	store, err := redisstore.New(rdb, redisstore.WithPrefix("shared-cache-example:"))
	if err != nil {
		return err
	}

	// Two replicas: each has its own in-memory cache and client, the Store
	// in common.
	replica := func() (*cartevo.Client, *tokencache.Cache, error) {
		cache := tokencache.New(tokencache.WithStore(store))
		c, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()), cartevo.WithCache(cache))
		return c, cache, err
	}
	a, cacheA, err := replica()
	if err != nil {
		return err
	}
	defer cacheA.Close()
	b, cacheB, err := replica()
	if err != nil {
		return err
	}
	defer cacheB.Close()

	ta, err := a.AccessToken(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "replica A minted     %v (mints: %d)\n", ta, srv.Mints())
	tb, err := b.AccessToken(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "replica B got it     same token: %t, from Redis: %t (mints: %d)\n",
		ta.Value == tb.Value, cacheB.Stats().StoreHits == 1, srv.Mints())

	// Cartevo rejects the token; A refreshes, B picks the new one up.
	srv.RevokeTokens(cartevotest.ClientID)
	if err := a.Call(ctx, "GET", "/wallets", nil, nil); err != nil {
		return err
	}
	if err := b.Call(ctx, "GET", "/wallets", nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(w, "after a 401          both replicas recovered with %d mint(s) in all\n", srv.Mints())
	return nil
}

// startRedis runs redis-server on a free loopback port without persistence.
func startRedis() (string, func(), error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return "", nil, errors.New("set REDIS_ADDR, or install redis-server (apt-get install redis-server)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "shared-cache-redis")
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = os.RemoveAll(dir)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, stop, nil
		}
	}
	stop()
	return "", nil, errors.New("redis-server did not start")
}
