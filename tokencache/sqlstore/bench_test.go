package sqlstore_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/tokencache"
	"github.com/checkoutkit/checkoutkit/tokencache/sqlstore"
)

// BenchmarkColdGet is a Get for a key this process has never seen but
// another has saved in the database, beside one bare SELECT of the row
// (the floor: the Store's Load is that SELECT plus decoding).
//
//	go test -run '^$' -bench 'ColdGet|Replicas' ./tokencache/redisstore ./tokencache/sqlstore
func BenchmarkColdGet(b *testing.B) {
	for _, be := range []struct {
		name string
		open func(b *testing.B) *sql.DB
	}{
		{"postgres", func(b *testing.B) *sql.DB { return openDB(b, "pgx", sharedPG(b).DSN) }},
		{"sqlite", func(b *testing.B) *sql.DB { return openDB(b, "sqlite", filepath.Join(b.TempDir(), "t.db")) }},
	} {
		b.Run("db="+be.name, func(b *testing.B) {
			db := be.open(b)
			table := "bench_cold"
			st, err := sqlstore.New(db, sqlstore.WithTable(table))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := db.Exec("DELETE FROM " + table); err != nil {
				b.Fatal(err)
			}
			ph := "$1"
			if be.name == "sqlite" {
				ph = "?1"
			}
			b.Run("impl=SELECT", func(b *testing.B) {
				if err := st.Save(bg, "plain", entry("value", time.Hour)); err != nil {
					b.Fatal(err)
				}
				var k string
				if err := db.QueryRow("SELECT k FROM " + table + " LIMIT 1").Scan(&k); err != nil {
					b.Fatal(err)
				}
				var v []byte
				for range b.N {
					if err := db.QueryRow("SELECT v FROM "+table+" WHERE k = "+ph, k).Scan(&v); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("impl=tokencache.Get", func(b *testing.B) {
				keys := make([]string, b.N)
				for i := range keys {
					keys[i] = fmt.Sprint("cold-", i)
					if err := st.Save(bg, keys[i], entry("v"+keys[i], time.Hour)); err != nil {
						b.Fatal(err)
					}
				}
				c := tokencache.New(tokencache.WithStore(st), tokencache.WithMaxEntries(b.N+1))
				defer c.Close()
				never := func(context.Context) (tokencache.Token, error) {
					return tokencache.Token{}, fmt.Errorf("minted: the store should have answered")
				}
				b.ResetTimer()
				for _, k := range keys {
					if _, err := c.Get(bg, k, never); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkReplicas is a fleet sharing one Postgres: each replica its own
// cache and its own *sql.DB (connection pool), 50 callers each, all asking
// for one key at once after it expired. Each op is three refresh rounds;
// the metrics are per refresh: mints (goal 1 whatever the fleet's size),
// SQL statements sent by the whole fleet, and the 99th percentile of a
// caller's wait.
func BenchmarkReplicas(b *testing.B) {
	srv := sharedPG(b)
	cfg, err := pgx.ParseConfig(srv.DSN)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("db=postgres/replicas=%d", n), func(b *testing.B) {
			var stmts atomic.Int64
			clk := fakeclock.New(time.Now())
			table := fmt.Sprint("bench_replicas_", n)
			var caches []*tokencache.Cache
			for range n {
				db := sql.OpenDB(countingConnector{Connector: stdlib.GetConnector(*cfg), n: &stmts})
				defer db.Close()
				st, err := sqlstore.New(db, sqlstore.WithTable(table))
				if err != nil {
					b.Fatal(err)
				}
				if len(caches) == 0 { // nothing left from an earlier run
					if _, err := db.Exec("DELETE FROM " + table); err != nil {
						b.Fatal(err)
					}
				}
				c := tokencache.New(tokencache.WithClock(clk.Now), tokencache.WithStore(st), tokencache.WithLockWait(2*time.Second))
				defer c.Close()
				caches = append(caches, c)
			}
			var mints atomic.Int64
			fetch := func(context.Context) (tokencache.Token, error) {
				m := mints.Add(1)
				time.Sleep(20 * time.Millisecond) // a provider round trip
				return tokencache.Token{Value: fmt.Sprint("tok-", m), ExpiresAt: clk.Now().Add(time.Hour)}, nil
			}
			var waits []time.Duration
			var mu sync.Mutex
			before := stmts.Load()
			b.ResetTimer()
			for range b.N {
				for range 3 {
					clk.Add(time.Hour) // the token expired: a refresh
					var wg sync.WaitGroup
					for _, c := range caches {
						for range 50 {
							wg.Add(1)
							go func() {
								defer wg.Done()
								start := time.Now()
								if _, err := c.Get(bg, "bench-replicas", fetch); err != nil {
									b.Error(err)
								}
								d := time.Since(start)
								mu.Lock()
								waits = append(waits, d)
								mu.Unlock()
							}()
						}
					}
					wg.Wait()
				}
			}
			b.StopTimer()
			refreshes := float64(3 * b.N)
			slices.Sort(waits)
			b.ReportMetric(float64(mints.Load())/refreshes, "mints/refresh")
			b.ReportMetric(float64(stmts.Load()-before)/refreshes, "sql-stmts/refresh")
			b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds())/1000, "p99-wait-ms")
		})
	}
}

// countingConnector counts the statements sent through pgx's connector;
// its Driver is pgx's, so sqlstore recognises it.
type countingConnector struct {
	driver.Connector
	n *atomic.Int64
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, n: c.n}, nil
}

type countingConn struct {
	driver.Conn
	n *atomic.Int64
}

func (c *countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.n.Add(1)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (c *countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.n.Add(1)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

// BenchmarkLoadParallel is the Store's Load from 8 connections at once on
// one Postgres: the statement rate at which the database, not the fleet,
// becomes the limit. Its ns/op is the inverse of that rate.
func BenchmarkLoadParallel(b *testing.B) {
	db := openDB(b, "pgx", sharedPG(b).DSN)
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	st, err := sqlstore.New(db, sqlstore.WithTable("bench_parallel"), sqlstore.WithTimeout(5*time.Second))
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Save(bg, "k", entry("value", time.Hour)); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(4) // 8 goroutines on 2 cores, one per connection
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok, err := st.Load(bg, "k"); err != nil || !ok {
				b.Error(ok, err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "loads/s")
}
