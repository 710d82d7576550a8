package sqlstore_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/fakeclock"
	"github.com/checkoutkit/checkoutkit/internal/storekit"
	"github.com/checkoutkit/checkoutkit/tokencache"
	"github.com/checkoutkit/checkoutkit/tokencache/sqlstore"
)

// otherDriver is a database/sql driver sqlstore does not know.
type otherDriver struct{}

func (otherDriver) Open(string) (driver.Conn, error) { return nil, fmt.Errorf("never opened") }

func init() { sql.Register("sqlstore-test-other", otherDriver{}) }

func TestNewRefusesWhatItCannotServe(t *testing.T) {
	other, err := sql.Open("sqlstore-test-other", "")
	require.NoError(t, err)
	defer other.Close()
	_, err = sqlstore.New(other)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "otherDriver", "names the driver")
	assert.Contains(t, err.Error(), "pgx")

	_, err = sqlstore.New(nil)
	assert.Error(t, err)

	db := openDB(t, "sqlite", filepath.Join(t.TempDir(), "x.db"))
	for name, opt := range map[string]sqlstore.Option{
		"WithTable":         sqlstore.WithTable("tokens; DROP TABLE users"),
		"WithTimeout":       sqlstore.WithTimeout(0),
		"WithCooldown":      sqlstore.WithCooldown(-time.Second),
		"WithEncryptionKey": sqlstore.WithEncryptionKey([]byte("tiny-k3y")),
		"WithDialect":       sqlstore.WithDialect("mysql"),
	} {
		st, err := sqlstore.New(db, opt)
		require.Error(t, err, name)
		assert.Nil(t, st)
		assert.Contains(t, err.Error(), name, "the error names the option")
		assert.NotContains(t, err.Error(), "tiny-k3y")
	}
	// A wrapped driver is named with WithDialect.
	_, err = sqlstore.New(other, sqlstore.WithDialect(sqlstore.SQLite))
	require.Error(t, err, "recognised, then it cannot reach the database")
	assert.NotContains(t, err.Error(), "not supported")

	// A table it cannot create: a read-only SQLite file.
	ro := filepath.Join(t.TempDir(), "ro.db")
	rw := openDB(t, "sqlite", ro)
	require.NoError(t, rw.Ping())
	_, err = rw.Exec("CREATE TABLE other (x INTEGER)")
	require.NoError(t, err)
	_, err = sqlstore.New(openDB(t, "sqlite", "file:"+ro+"?mode=ro"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sqlstore")
}

func TestNewRefusesATableItCannotCreatePostgres(t *testing.T) {
	b := pgBackend(t)
	db := b.open()
	_, err := db.Exec("CREATE VIEW " + b.table + " AS SELECT 1 AS x")
	require.NoError(t, err)
	_, err = sqlstore.New(db, sqlstore.WithTable(b.table))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "creating table "+b.table)
}

func TestSaveLoadDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		db := b.open()
		st := b.store(t, db)
		e := entry("tok-secretvalue", time.Hour)
		e.Token.Extra = map[string]string{"customer_id": "12345"}
		require.NoError(t, st.Save(bg, "appstle:ada@example.com", e))
		got, ok, err := st.Load(bg, "appstle:ada@example.com")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, e.Token.Value, got.Token.Value)
		assert.Equal(t, "Bearer", got.Token.Type)
		assert.True(t, got.Token.ExpiresAt.Equal(e.Token.ExpiresAt))
		assert.True(t, got.RefreshAt.Equal(e.RefreshAt))
		assert.Equal(t, e.Token.Extra, got.Token.Extra)

		// Saving again replaces.
		e2 := entry("tok2-secretvalue", time.Hour)
		require.NoError(t, st.Save(bg, "appstle:ada@example.com", e2))
		got, _, _ = st.Load(bg, "appstle:ada@example.com")
		assert.Equal(t, e2.Token.Value, got.Token.Value)

		// Compare-and-delete.
		require.NoError(t, st.Delete(bg, "appstle:ada@example.com", e.Token))
		_, ok, _ = st.Load(bg, "appstle:ada@example.com")
		assert.True(t, ok, "deleting another value leaves the entry")
		require.NoError(t, st.Delete(bg, "appstle:ada@example.com", e2.Token))
		_, ok, err = st.Load(bg, "appstle:ada@example.com")
		require.NoError(t, err)
		assert.False(t, ok)

		_, ok, err = st.Load(bg, "never-saved")
		require.NoError(t, err)
		assert.False(t, ok)
	})
}

func TestKeysHashedValuesSealed(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		db := b.open()
		key := []byte("0123456789abcdef-encryption-key")
		c := newCache(t, tokencache.WithStore(b.store(t, db, sqlstore.WithEncryptionKey(key))))
		m := &counter{now: time.Now}
		tok, err := c.Get(bg, "appstle:ada@example.com:client_123", m.fetch)
		require.NoError(t, err)

		rows, err := db.Query("SELECT k, fp, v FROM " + b.table)
		require.NoError(t, err)
		defer rows.Close()
		n := 0
		for rows.Next() {
			var k, fp string
			var v []byte
			require.NoError(t, rows.Scan(&k, &fp, &v))
			n++
			for _, s := range []string{k, fp, string(v)} {
				assert.NotContains(t, s, "ada")
				assert.NotContains(t, s, "client_123")
				assert.NotContains(t, s, tok.Value)
				assert.NotContains(t, s, "secretvalue")
			}
		}
		require.NoError(t, rows.Err())
		assert.Equal(t, 1, n, "one token row; the lock row was released")

		// Another replica with the key reads it; one with another key or
		// none sees a miss, never an error.
		e, ok, err := b.store(t, b.open(), sqlstore.WithEncryptionKey(key)).Load(bg, "appstle:ada@example.com:client_123")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, tok.Value, e.Token.Value)
		for _, other := range []*sqlstore.Store{
			b.store(t, db, sqlstore.WithEncryptionKey([]byte("another-key-of-sixteen+"))),
			b.store(t, db),
		} {
			_, ok, err := other.Load(bg, "appstle:ada@example.com:client_123")
			assert.NoError(t, err)
			assert.False(t, ok)
		}
	})
}

// Every row loaded passes the checks: bound to its key, not garbage, not
// over the cap, not expired. Each refusal is a miss, logged without
// secrets.
func TestRowsAreCheckedOnLoad(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		for _, sealed := range []bool{false, true} {
			db := b.open()
			var logs lockedLog
			opts := []sqlstore.Option{sqlstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}
			if sealed {
				opts = append(opts, sqlstore.WithEncryptionKey([]byte("0123456789abcdef-key")))
			}
			st := b.store(t, db, opts...)
			_, err := db.Exec("DELETE FROM " + b.table)
			require.NoError(t, err)
			require.NoError(t, st.Save(bg, "alice", entry("alice-secretvalue", time.Hour)))

			// alice's row copied under bob's key.
			_, err = db.Exec(fmt.Sprintf("INSERT INTO %s (k, fp, v, expires_at) SELECT %s, fp, v, expires_at FROM %s WHERE k = %s",
				b.table, b.ph(1), b.table, b.ph(2)), "t:"+storekit.KeyHash("bob"), "t:"+storekit.KeyHash("alice"))
			require.NoError(t, err)
			_, ok, err := st.Load(bg, "bob")
			require.NoError(t, err)
			assert.False(t, ok, "sealed=%v: alice's value under bob's key is a miss", sealed)
			_, ok, _ = st.Load(bg, "alice")
			assert.True(t, ok)

			insert := func(key string, v []byte, ttlMillis int64) {
				_, err := db.Exec(fmt.Sprintf("INSERT INTO %s (k, fp, v, expires_at) VALUES (%s, 'fp', %s, %s)", b.table, b.ph(1), b.ph(2), b.ph(3)),
					"t:"+storekit.KeyHash(key), v, time.Now().UnixMilli()+ttlMillis)
				require.NoError(t, err)
			}
			insert("garbage", []byte("garbage"), 60_000)
			_, ok, err = st.Load(bg, "garbage")
			assert.NoError(t, err)
			assert.False(t, ok)

			huge := []byte(`{"k":"` + storekit.KeyHash("huge") + `","v":"` + strings.Repeat("x", 1<<20) + `","e":1,"r":1}`)
			insert("huge", huge, 60_000)
			_, ok, err = st.Load(bg, "huge")
			assert.NoError(t, err)
			assert.False(t, ok, "a 1 MiB row is a miss")
			if !sealed {
				insert("small", []byte(`{"k":"`+storekit.KeyHash("small")+`","v":"tok","e":1,"r":1}`), 60_000)
				_, ok, err = st.Load(bg, "small")
				assert.NoError(t, err)
				assert.True(t, ok, "the forged layout is a valid entry: the cap is what refused the huge one")
			}

			raw, err := storekit.NewCodec("sqlstore:"+b.table, nil)
			require.NoError(t, err)
			if !sealed {
				v, err := raw.Encode(storekit.KeyHash("expired"), entry("expired-secretvalue", time.Hour))
				require.NoError(t, err)
				insert("expired", v, -1)
				_, ok, err = st.Load(bg, "expired")
				assert.NoError(t, err)
				assert.False(t, ok, "an expired row is ignored")
			}
			assert.Contains(t, logs.String(), "refused")
			assert.NotContains(t, logs.String(), "secretvalue")
			assert.NotContains(t, logs.String(), "xxxxxxxx")
		}
	})
}

func TestOversizedSaveIsRefused(t *testing.T) {
	b := sqliteBackend(t)
	db := b.open()
	st := b.store(t, db)
	err := st.Save(bg, "big", entry(strings.Repeat("y", sqlstore.MaxValueBytes), time.Hour))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "yyyy")
	var n int
	require.NoError(t, db.QueryRow("SELECT count(*) FROM "+b.table).Scan(&n))
	assert.Zero(t, n)
}

func TestLockIsALease(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		st := b.store(t, b.open())
		other := b.store(t, b.open()) // another replica
		release, ok, err := st.TryLock(bg, "k", 300*time.Millisecond)
		require.NoError(t, err)
		require.True(t, ok)
		_, again, err := other.TryLock(bg, "k", time.Minute)
		require.NoError(t, err)
		require.False(t, again, "the lock is exclusive")
		_, again, err = st.TryLock(bg, "k", time.Minute)
		require.NoError(t, err)
		require.False(t, again, "also to its holder")

		var release2 func(context.Context) error
		require.Eventually(t, func() bool { // once the lease has run out
			release2, ok, err = other.TryLock(bg, "k", time.Minute)
			return err == nil && ok
		}, 5*time.Second, 20*time.Millisecond)
		require.NoError(t, release(bg)) // the first holder's late release
		_, ok, err = st.TryLock(bg, "k", time.Minute)
		require.NoError(t, err)
		assert.False(t, ok, "a late release does not free someone else's lock")
		require.NoError(t, release2(bg))
		release3, ok, err := st.TryLock(bg, "k", time.Minute)
		require.NoError(t, err)
		assert.True(t, ok, "released: free again")
		require.NoError(t, release3(bg))
	})
}

// Expired rows are deleted by a Save, a batch at a time through the index
// on the expiry column.
func TestExpiredRowsAreCleanedUp(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		db := b.open()
		b.store(t, db) // creates the table
		for i := range 150 {
			_, err := db.Exec(fmt.Sprintf("INSERT INTO %s (k, fp, v, expires_at) VALUES (%s, 'fp', NULL, %s)", b.table, b.ph(1), b.ph(2)),
				fmt.Sprint("t:old", i), time.Now().Add(-time.Minute).UnixMilli())
			require.NoError(t, err)
		}
		st := b.store(t, db) // a new Store cleans on its first Save
		require.NoError(t, st.Save(bg, "live", entry("live-secretvalue", time.Hour)))
		var n int
		require.NoError(t, db.QueryRow("SELECT count(*) FROM "+b.table).Scan(&n))
		assert.Equal(t, 150-100+1, n, "one batch of 100 expired rows deleted, the live row kept")
		require.NoError(t, st.Save(bg, "live2", entry("live-secretvalue", time.Hour)))
		require.NoError(t, db.QueryRow("SELECT count(*) FROM "+b.table).Scan(&n))
		assert.Equal(t, 52, n, "not on every Save")
		_, ok, _ := st.Load(bg, "live")
		assert.True(t, ok)

		if b.name == "sqlite" {
			var plan strings.Builder
			rows, err := db.Query("EXPLAIN QUERY PLAN SELECT k FROM " + b.table + " WHERE expires_at <= 5 LIMIT 100")
			require.NoError(t, err)
			for rows.Next() {
				var id, parent, notused int
				var detail string
				require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
				plan.WriteString(detail)
			}
			rows.Close()
			assert.Contains(t, plan.String(), "INDEX "+b.table+"_expires_at", "no scan of the whole table")
		}
	})
}

// 8 caches × 50 callers on one Postgres (each cache its own pool, as a
// replica's) make exactly one mint per refresh, for two refreshes.
func TestCachesMintOncePerRefresh(t *testing.T) {
	b := pgBackend(t)
	clk := fakeclock.New(time.Now())
	m := &counter{now: clk.Now, delay: 20 * time.Millisecond}
	var caches []*tokencache.Cache
	for range 8 {
		caches = append(caches, newCache(t, tokencache.WithClock(clk.Now), tokencache.WithStore(b.store(t, b.open()))))
	}
	herd := func() {
		var wg sync.WaitGroup
		for _, c := range caches {
			for range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := c.Get(bg, "cartevo:shared", m.fetch)
					assert.NoError(t, err)
				}()
			}
		}
		wg.Wait()
	}
	herd()
	assert.EqualValues(t, 1, m.n.Load())
	clk.Add(time.Hour - 5*time.Second) // every cache's token expired
	herd()
	assert.EqualValues(t, 2, m.n.Load(), "one mint for the second refresh too")
}

// A cache closed and a new one opened on the same SQLite file serve the
// stored token with no mint: a restart does not mint again.
func TestSQLiteTokensSurviveARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	m := &counter{now: time.Now}
	open := func() (*tokencache.Cache, *sql.DB) {
		db, err := sql.Open("sqlite", path)
		require.NoError(t, err)
		st, err := sqlstore.New(db, sqlstore.WithEncryptionKey([]byte("0123456789abcdef-key")))
		require.NoError(t, err)
		return tokencache.New(tokencache.WithStore(st)), db
	}
	c1, db1 := open()
	first, err := c1.Get(bg, "cartevo:k", m.fetch)
	require.NoError(t, err)
	require.NoError(t, c1.Close())
	require.NoError(t, db1.Close())

	c2, db2 := open()
	defer db2.Close()
	defer c2.Close()
	again, err := c2.Get(bg, "cartevo:k", m.fetch)
	require.NoError(t, err)
	assert.Equal(t, first.Value, again.Value)
	assert.EqualValues(t, 1, m.n.Load(), "no mint after the restart")
	assert.EqualValues(t, 1, c2.Stats().StoreHits)
}

// Postgres stopped mid-run: every Get succeeds, each within the timeout
// (and the cooldown keeps the rest fast); restarted, sharing resumes.
func TestPostgresStoppedMidRun(t *testing.T) {
	srv := startOwnPG(t)
	var logs lockedLog
	opts := []sqlstore.Option{sqlstore.WithTimeout(300 * time.Millisecond), sqlstore.WithCooldown(100 * time.Millisecond),
		sqlstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}
	stA, err := sqlstore.New(openDB(t, "pgx", srv.DSN), opts...)
	require.NoError(t, err)
	stB, err := sqlstore.New(openDB(t, "pgx", srv.DSN), opts...)
	require.NoError(t, err)
	m := &counter{now: time.Now}
	a := newCache(t, tokencache.WithStore(stA))
	b := newCache(t, tokencache.WithStore(stB))
	_, err = a.Get(bg, "k1", m.fetch)
	require.NoError(t, err)

	srv.Stop()
	failed := 0
	for i := range 8 {
		for _, c := range []*tokencache.Cache{a, b} {
			start := time.Now()
			if _, err := c.Get(bg, fmt.Sprint("down-", i), m.fetch); err != nil {
				failed++
			}
			assert.Less(t, time.Since(start), 3*300*time.Millisecond, "a Get costs at most the timeout per statement")
		}
		time.Sleep(30 * time.Millisecond)
	}
	assert.Zero(t, failed, "no Get failed")
	assert.Equal(t, 2, strings.Count(logs.String(), "database unavailable"), "one warning per Store, rate-limited: %s", logs.String())
	assert.NotContains(t, logs.String(), "secretvalue")

	require.NoError(t, srv.Restart())
	for _, st := range []*sqlstore.Store{stA, stB} {
		require.Eventually(t, func() bool {
			_, _, err := st.Load(bg, "probe")
			return err == nil
		}, 5*time.Second, 50*time.Millisecond, "the database answers again")
	}
	before := m.n.Load()
	_, err = a.Get(bg, "shared-again", m.fetch)
	require.NoError(t, err)
	_, err = b.Get(bg, "shared-again", m.fetch)
	require.NoError(t, err)
	assert.Equal(t, before+1, m.n.Load(), "sharing resumed: b read a's token")
}

// A dropped table is a miss, logged; after the cooldown the Store creates
// it again and shares.
func TestDroppedTable(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		db := b.open()
		var logs lockedLog
		st := b.store(t, db, sqlstore.WithCooldown(50*time.Millisecond), sqlstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		other := b.store(t, b.open()) // another replica, started before the drop
		m := &counter{now: time.Now}
		a := newCache(t, tokencache.WithStore(st))
		_, err := db.Exec("DROP TABLE " + b.table)
		require.NoError(t, err)
		_, err = a.Get(bg, "k", m.fetch)
		require.NoError(t, err, "a dropped table never fails a Get")
		assert.Contains(t, logs.String(), "database unavailable")

		time.Sleep(60 * time.Millisecond)
		c := newCache(t, tokencache.WithStore(other))
		_, err = a.Get(bg, "k2", m.fetch)
		require.NoError(t, err)
		_, err = c.Get(bg, "k2", m.fetch)
		require.NoError(t, err)
		assert.EqualValues(t, 2, m.n.Load(), "k2 shared: the table is back")
	})
}

// A SQLite file locked by another writer for longer than the timeout: Gets
// succeed, each bounded by the timeout.
func TestLockedSQLiteFile(t *testing.T) {
	b := sqliteBackend(t)
	st := b.store(t, b.open(), sqlstore.WithTimeout(200*time.Millisecond))
	holder := b.open()
	conn, err := holder.Conn(bg)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(bg, "BEGIN EXCLUSIVE")
	require.NoError(t, err)
	defer conn.ExecContext(bg, "ROLLBACK") //nolint:errcheck

	c := newCache(t, tokencache.WithStore(st))
	m := &counter{now: time.Now}
	start := time.Now()
	_, err = c.Get(bg, "k", m.fetch)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 800*time.Millisecond)
	assert.EqualValues(t, 1, m.n.Load())
}

// A Postgres that accepts connections and never answers costs a cold Get
// about one timeout: the first statement's timeout starts the cooldown, and
// the lock and the save skip the database.
func TestStalledPostgresCostsOneTimeout(t *testing.T) {
	proxy := newStallingProxy(t, sharedPG(t).Port)
	dsn := fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", proxy.addr)
	st, err := sqlstore.New(openDB(t, "pgx", dsn), sqlstore.WithTable(tableFor(t)),
		sqlstore.WithTimeout(300*time.Millisecond), sqlstore.WithCooldown(time.Minute))
	require.NoError(t, err)
	c := newCache(t, tokencache.WithStore(st))
	m := &counter{now: time.Now}
	_, err = c.Get(bg, "warm", m.fetch)
	require.NoError(t, err)

	proxy.stall.Store(true)
	start := time.Now()
	_, err = c.Get(bg, "cold", m.fetch)
	require.NoError(t, err)
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, 250*time.Millisecond, "it did wait for the database")
	assert.Less(t, took, 750*time.Millisecond, "one timeout, not one per statement (three would be 900 ms)")
}

// stallingProxy forwards TCP to a local port until stall is set; then it
// holds every byte, as a hung server or a black-holed route would.
type stallingProxy struct {
	addr  string
	stall atomic.Bool
}

func newStallingProxy(t *testing.T, port int) *stallingProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &stallingProxy{addr: l.Addr().String()}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if err != nil {
				return
			}
			if p.stall.Load() {
				continue // swallowed
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", fmt.Sprint("127.0.0.1:", port))
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			wg.Add(2)
			go pipe(up, c)
			go pipe(c, up)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return p
}
