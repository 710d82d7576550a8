// Command shared-cache shows two replicas of a backend sharing one Cartevo
// access token through a shared Store: the second replica reads the token
// the first minted instead of minting its own, and a refresh is minted once
// for both.
//
//	go run ./examples/shared-cache                  # Redis
//	go run ./examples/shared-cache -store postgres  # Postgres
//	go run ./examples/shared-cache -store sqlite    # SQLite (replicas on one host)
//
// Redis is REDIS_ADDR if set, else a throwaway redis-server from PATH on a
// free loopback port. Postgres is DATABASE_URL if set, else a throwaway
// server from the machine's initdb and postgres binaries. SQLite is a file
// in a temporary directory. Cartevo is the in-process fake.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/internal/pgtest"
	"github.com/checkoutkit/checkoutkit/tokencache"
	"github.com/checkoutkit/checkoutkit/tokencache/redisstore"
	"github.com/checkoutkit/checkoutkit/tokencache/sqlstore"
)

func main() {
	kind := flag.String("store", "redis", "the shared Store: redis, postgres or sqlite")
	flag.Parse()
	if err := start(*kind); err != nil {
		fmt.Fprintln(os.Stderr, "shared-cache:", err)
		os.Exit(1)
	}
}

// start finds or starts the store's server and runs the demo on it.
func start(kind string) error {
	switch kind {
	case "redis":
		addr := os.Getenv("REDIS_ADDR")
		if addr == "" {
			var stop func()
			var err error
			if addr, stop, err = startRedis(); err != nil {
				return err
			}
			defer stop()
		}
		return run(context.Background(), os.Stdout, RedisReplicas(addr))
	case "postgres":
		dsn := os.Getenv("DATABASE_URL")
		if dsn == "" {
			srv, err := pgtest.Launch()
			if err != nil {
				return fmt.Errorf("set DATABASE_URL, or install postgresql: %w", err)
			}
			defer srv.Close()
			dsn = srv.DSN
		}
		return run(context.Background(), os.Stdout, SQLReplicas("pgx", dsn))
	case "sqlite":
		dir, err := os.MkdirTemp("", "shared-cache-sqlite")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		return run(context.Background(), os.Stdout, SQLReplicas("sqlite", filepath.Join(dir, "tokens.db")))
	}
	return fmt.Errorf("-store %q: want redis, postgres or sqlite", kind)
}

// Replicas opens the Store one replica uses (its own connection pool on
// the shared server) and says where it keeps tokens.
type Replicas struct {
	Name string
	Open func(ctx context.Context) (tokencache.Store, io.Closer, error)
}

// RedisReplicas: each replica its own go-redis client on addr.
func RedisReplicas(addr string) Replicas {
	return Replicas{Name: "Redis", Open: func(ctx context.Context) (tokencache.Store, io.Closer, error) {
		rdb := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
		if err := rdb.Ping(ctx).Err(); err != nil {
			rdb.Close()
			return nil, nil, fmt.Errorf("redis at %s: %w", addr, err)
		}
		st, err := redisstore.New(rdb, redisstore.WithPrefix("shared-cache-example:"))
		if err != nil {
			rdb.Close()
			return nil, nil, err
		}
		return st, rdb, nil
	}}
}

// SQLReplicas: each replica its own *sql.DB on dsn, through driver ("pgx"
// or "sqlite").
func SQLReplicas(driver, dsn string) Replicas {
	name := map[string]string{"pgx": "Postgres", "sqlite": "SQLite"}[driver]
	return Replicas{Name: name, Open: func(ctx context.Context) (tokencache.Store, io.Closer, error) {
		db, err := sql.Open(driver, dsn)
		if err != nil {
			return nil, nil, err
		}
		st, err := sqlstore.New(db, sqlstore.WithTable("shared_cache_example"))
		if err != nil {
			db.Close()
			return nil, nil, err
		}
		return st, db, nil
	}}
}

func run(ctx context.Context, w io.Writer, r Replicas) error {
	srv := cartevotest.NewServer()
	defer srv.Close()

	// Two replicas: each has its own in-memory cache, client and
	// connections, the Store's server in common.
	replica := func() (*cartevo.Client, *tokencache.Cache, func(), error) {
		store, conn, err := r.Open(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		cache := tokencache.New(tokencache.WithStore(store))
		closeAll := func() { cache.Close(); conn.Close() }
		c, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(srv.URL()), cartevo.WithCache(cache))
		if err != nil {
			closeAll()
			return nil, nil, nil, err
		}
		return c, cache, func() { c.Close(); closeAll() }, nil
	}
	a, _, closeA, err := replica()
	if err != nil {
		return err
	}
	defer closeA()
	b, cacheB, closeB, err := replica()
	if err != nil {
		return err
	}
	defer closeB()

	ta, err := a.AccessToken(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "replica A minted     %v (mints: %d)\n", ta, srv.Mints())
	tb, err := b.AccessToken(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "replica B got it     same token: %t, from %s: %t (mints: %d)\n",
		ta.Value == tb.Value, r.Name, cacheB.Stats().StoreHits == 1, srv.Mints())

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
