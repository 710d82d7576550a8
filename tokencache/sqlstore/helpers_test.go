package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	_ "modernc.org/sqlite"

	"github.com/checkoutkit/checkoutkit/internal/pgtest"
	"github.com/checkoutkit/checkoutkit/tokencache"
	"github.com/checkoutkit/checkoutkit/tokencache/sqlstore"
)

var bg = context.Background()

func TestMain(m *testing.M) {
	switch os.Getenv("SQLSTORE_CHILD") {
	case "herd":
		os.Exit(herdChild())
	case "writer":
		os.Exit(writerChild())
	}
	code := m.Run()
	shared.stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// shared is one Postgres for the tests that do not stop it; each test has
// tables of its own.
var shared sharedServer

type sharedServer struct {
	once sync.Once
	srv  *pgtest.Server
	err  error
}

func (s *sharedServer) stop() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// sharedPG returns the shared Postgres, started on first use. Skipped
// without the binaries, except under CI=true.
func sharedPG(t testing.TB) *pgtest.Server {
	t.Helper()
	pgtest.Need(t)
	shared.once.Do(func() { shared.srv, shared.err = pgtest.Launch() })
	require.NoError(t, shared.err)
	return shared.srv
}

func openDB(t testing.TB, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// backend opens *sql.DB handles (each its own pool, like a replica's) on
// one database.
type backend struct {
	name  string
	table string // unique to the test
	open  func() *sql.DB
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

func tableFor(t testing.TB) string {
	n := unsafeChars.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(n) > 40 {
		n = n[len(n)-40:]
	}
	return "t_" + n
}

func pgBackend(t testing.TB) backend {
	srv := sharedPG(t)
	return backend{name: "postgres", table: tableFor(t), open: func() *sql.DB { return openDB(t, "pgx", srv.DSN) }}
}

func sqliteBackend(t testing.TB) backend {
	path := filepath.Join(t.TempDir(), "tokens.db")
	return backend{name: "sqlite", table: tableFor(t), open: func() *sql.DB { return openDB(t, "sqlite", path) }}
}

// eachBackend runs f on SQLite and on Postgres.
func eachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	t.Run("sqlite", func(t *testing.T) { f(t, sqliteBackend(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, pgBackend(t)) })
}

func (b backend) store(t testing.TB, db *sql.DB, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.New(db, append([]sqlstore.Option{sqlstore.WithTable(b.table)}, opts...)...)
	require.NoError(t, err)
	return s
}

// ph is the placeholder for argument n in b's SQL.
func (b backend) ph(n int) string {
	if b.name == "sqlite" {
		return "?" + strconv.Itoa(n)
	}
	return "$" + strconv.Itoa(n)
}

func newCache(t testing.TB, opts ...tokencache.Option) *tokencache.Cache {
	c := tokencache.New(opts...)
	t.Cleanup(func() { c.Close() })
	return c
}

// counter is a FetchFunc counting mints.
type counter struct {
	n     atomic.Int64
	now   func() time.Time
	delay time.Duration
}

func (c *counter) fetch(context.Context) (tokencache.Token, error) {
	n := c.n.Add(1)
	time.Sleep(c.delay)
	return tokencache.Token{Value: "token-" + strconv.FormatInt(n, 10) + "-secretvalue", Type: "Bearer", ExpiresAt: c.now().Add(time.Hour)}, nil
}

type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func entry(v string, life time.Duration) tokencache.Entry {
	exp := time.Now().Add(life)
	return tokencache.Entry{Token: tokencache.Token{Value: v, Type: "Bearer", ExpiresAt: exp}, RefreshAt: exp.Add(-life / 4)}
}
