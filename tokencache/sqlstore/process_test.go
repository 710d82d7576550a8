package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/pgtest"
	"github.com/checkoutkit/checkoutkit/tokencache"
	"github.com/checkoutkit/checkoutkit/tokencache/sqlstore"
)

func startOwnPG(t *testing.T) *pgtest.Server { return pgtest.Start(t) }

// children runs n copies of this test binary with env, and waits for them.
func children(t *testing.T, n int, env ...string) {
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := range n {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(append(os.Environ(), env...), "CHILD_ID="+strconv.Itoa(i))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		cmds, outs = append(cmds, cmd), append(outs, &out)
	}
	for i, cmd := range cmds {
		assert.NoError(t, cmd.Wait(), outs[i].String())
		if out := strings.TrimSpace(outs[i].String()); out != "" {
			t.Logf("child %d: %s", i, out)
		}
	}
}

// 4 OS processes × 50 goroutines on one Postgres mint once per refresh,
// for two refreshes; mints are counted in Postgres itself.
func TestProcessesMintOncePerRefresh(t *testing.T) {
	b := pgBackend(t)
	db := b.open()
	b.store(t, db)
	_, err := db.Exec("CREATE TABLE " + b.table + "_mints (n INTEGER NOT NULL); INSERT INTO " + b.table + "_mints VALUES (0)")
	require.NoError(t, err)
	round1 := time.Now().Add(3 * time.Second)     // time for the processes to start, even under -race
	round2 := round1.Add(3500 * time.Millisecond) // tokens live 4 s: expired by then
	children(t, 4, "SQLSTORE_CHILD=herd", "PG_DSN="+sharedPG(t).DSN, "TABLE="+b.table,
		"ROUND1="+strconv.FormatInt(round1.UnixNano(), 10), "ROUND2="+strconv.FormatInt(round2.UnixNano(), 10))
	var mints int
	require.NoError(t, db.QueryRow("SELECT n FROM "+b.table+"_mints").Scan(&mints))
	assert.Equal(t, 2, mints, "one mint per refresh across 4 processes × 50 goroutines")
}

func herdChild() int {
	db, err := sql.Open("pgx", os.Getenv("PG_DSN"))
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	table := os.Getenv("TABLE")
	st, err := sqlstore.New(db, sqlstore.WithTable(table))
	if err != nil {
		return fail(err)
	}
	cache := tokencache.New(tokencache.WithStore(st), tokencache.WithEarlyExpiry(time.Minute))
	defer cache.Close()
	fetch := func(ctx context.Context) (tokencache.Token, error) {
		var n int
		if err := db.QueryRowContext(ctx, "UPDATE "+table+"_mints SET n = n + 1 RETURNING n").Scan(&n); err != nil {
			return tokencache.Token{}, err
		}
		time.Sleep(50 * time.Millisecond) // a provider round trip
		return tokencache.Token{Value: fmt.Sprint("tok-", n), ExpiresAt: cache.Now().Add(4 * time.Second)}, nil
	}
	for _, env := range []string{"ROUND1", "ROUND2"} {
		at, _ := strconv.ParseInt(os.Getenv(env), 10, 64)
		time.Sleep(time.Until(time.Unix(0, at)))
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := cache.Get(context.Background(), "cartevo:shared", fetch); err != nil {
					fmt.Fprintln(os.Stderr, "child Get:", err)
					failed.Add(1)
				}
			}()
		}
		wg.Wait()
		if failed.Load() > 0 {
			return 1
		}
	}
	return 0
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return 2
}

// Two processes writing one SQLite file at once (locks, saves, loads and
// Gets on the same keys): no Store operation fails with "database is
// locked" (SQLITE_BUSY: the busy timeout and BEGIN IMMEDIATE wait for the
// other process), and no Get fails. A wait past the timeout on a loaded
// machine is a miss, as any Store trouble is; the children print how many.
func TestSQLiteConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	db := openDB(t, "sqlite", path)
	_, err := sqlstore.New(db) // the table and WAL, before the children race
	require.NoError(t, err)
	start := time.Now().Add(1500 * time.Millisecond)
	children(t, 2, "SQLSTORE_CHILD=writer", "SQLITE_PATH="+path, "START="+strconv.FormatInt(start.UnixNano(), 10))
}

func writerChild() int {
	db, err := sql.Open("sqlite", os.Getenv("SQLITE_PATH"))
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	st, err := sqlstore.New(db)
	if err != nil {
		return fail(err)
	}
	cache := tokencache.New(tokencache.WithStore(st))
	defer cache.Close()
	id := os.Getenv("CHILD_ID")
	var n atomic.Int64
	fetch := func(context.Context) (tokencache.Token, error) {
		return tokencache.Token{Value: fmt.Sprint("tok-", id, "-", n.Add(1)), ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	at, _ := strconv.ParseInt(os.Getenv("START"), 10, 64)
	time.Sleep(time.Until(time.Unix(0, at)))
	var locked, timeouts, getErrs atomic.Int64
	check := func(err error) {
		switch {
		case err == nil, errors.Is(err, sqlstore.ErrUnavailable):
		case strings.Contains(err.Error(), "locked"), strings.Contains(err.Error(), "busy"):
			locked.Add(1)
			fmt.Fprintln(os.Stderr, "store:", err)
		default: // a timeout: this machine's load, logged by the test
			timeouts.Add(1)
		}
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				key := fmt.Sprint("k", (i+w)%8)
				release, ok, err := st.TryLock(bg, key, time.Second)
				check(err)
				if ok {
					check(st.Save(bg, key, entry(fmt.Sprint("v-", id, "-", i), time.Hour)))
					check(release(bg))
				}
				_, _, err = st.Load(bg, key)
				check(err)
				if _, err := cache.Get(bg, fmt.Sprint("get-", i%16), fetch); err != nil {
					getErrs.Add(1)
				}
				time.Sleep(time.Duration(1+rand.IntN(3)) * time.Millisecond) // a busy service, not a write loop
			}
		}()
	}
	wg.Wait()
	fmt.Printf("%d locked, %d timeouts, %d failed Gets\n", locked.Load(), timeouts.Load(), getErrs.Load())
	if locked.Load()+getErrs.Load() > 0 {
		return 1
	}
	return 0
}
