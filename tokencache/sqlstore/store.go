package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/redact"
	"github.com/checkoutkit/checkoutkit/internal/storekit"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// Defaults for the options.
const (
	DefaultTable    = "checkoutkit_tokens"
	DefaultTimeout  = 500 * time.Millisecond
	DefaultCooldown = 2 * time.Second
)

// MaxValueBytes is the largest stored value (sealed or not) a Store saves
// or loads; a larger one is a miss, and is not even read.
const MaxValueBytes = 64 << 10

const (
	cleanEvery = 30 * time.Second // how often a Save deletes expired rows
	cleanBatch = 100              // at most this many at a time
)

// ErrUnavailable is returned, without touching the database, during the
// cooldown after a database error.
var ErrUnavailable = errors.New("sqlstore: database unavailable, cooling down")

// Store implements tokencache.Store on a *sql.DB. It is safe for
// concurrent use.
type Store struct {
	db       *sql.DB
	d        *dialect
	q        queries
	table    string
	timeout  time.Duration
	cooldown time.Duration
	dialect  Dialect
	encKey   []byte
	codec    *storekit.Codec
	logger   *slog.Logger
	err      error // from an option; New returns it

	writer    chan struct{} // SQLite: one writer per *sql.DB in this process (see withConn)
	down      storekit.Cooldown
	unchecked atomic.Bool  // the table may be gone: check it before the next statement
	lastClean atomic.Int64 // unix nanos
	warnDown  storekit.Warner
	warnValue storekit.Warner
	warnOpen  storekit.Warner
}

var _ tokencache.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,50}$`)

// WithTable sets the table's name (default "checkoutkit_tokens"): letters,
// digits and underscores, not starting with a digit, at most 51 of them.
// Any other name is an error from [New].
func WithTable(name string) Option {
	return func(s *Store) {
		if !tableName.MatchString(name) {
			s.err = fmt.Errorf("sqlstore: WithTable: %q is not a plain table name (letters, digits, _; at most 51)", name)
			return
		}
		s.table = name
	}
}

// WithTimeout bounds each database operation (default 500 ms, as
// redisstore). On SQLite it is also the busy timeout. A duration that is
// not positive is an error from [New].
func WithTimeout(d time.Duration) Option {
	return func(s *Store) {
		if d <= 0 {
			s.err = errors.New("sqlstore: WithTimeout: the timeout must be positive")
			return
		}
		s.timeout = d
	}
}

// WithCooldown sets how long the Store stays out of the way after a
// database error (default 2 s). A duration that is not positive is an error
// from [New].
func WithCooldown(d time.Duration) Option {
	return func(s *Store) {
		if d <= 0 {
			s.err = errors.New("sqlstore: WithCooldown: the cooldown must be positive")
			return
		}
		s.cooldown = d
	}
}

// WithEncryptionKey seals stored values with AES-256-GCM under a key
// derived from key (SHA-256), bound to the cache key they are stored at, as
// redisstore does. key must hold at least 16 bytes of secret: a shorter one
// is an error from [New]. The key is never logged. A value that does not
// open (another replica's key, tampering, a row moved from another key) is
// a miss, and is logged at most every 30 s.
func WithEncryptionKey(key []byte) Option {
	return func(s *Store) {
		if len(key) < storekit.MinKeyBytes {
			s.err = fmt.Errorf("sqlstore: WithEncryptionKey: the key must hold at least %d bytes", storekit.MinKeyBytes)
			return
		}
		s.encKey = key
	}
}

// WithLogger logs database trouble and refused rows (a warning at most
// every 30 s each) to l. The messages carry no key, token or encryption key.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.logger = l } }

// WithDialect names the database when New cannot tell it from the driver,
// as when pgx or modernc's driver is wrapped by a tracing or metrics
// driver: [Postgres] or [SQLite]. Any other value is an error from [New].
func WithDialect(d Dialect) Option {
	return func(s *Store) {
		if dialects[d] == nil {
			s.err = fmt.Errorf("sqlstore: WithDialect: unknown dialect %q (want %q or %q)", d, Postgres, SQLite)
			return
		}
		s.dialect = d
	}
}

// New returns a Store on db, creating its table (and the index on its
// expiry column) if they are missing; on SQLite it switches the database to
// WAL. It fails on a nil db, a bad option, a driver other than pgx's or
// modernc's SQLite (unless [WithDialect] names it), or a table it cannot
// create, with an error naming the problem.
func New(db *sql.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: nil *sql.DB")
	}
	s := &Store{db: db, table: DefaultTable, timeout: DefaultTimeout, cooldown: DefaultCooldown}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	if s.err != nil {
		return nil, s.err
	}
	if s.dialect == "" {
		d, name := detect(db)
		if d == "" {
			return nil, fmt.Errorf("sqlstore: driver %s is not supported: open db with github.com/jackc/pgx/v5/stdlib (\"pgx\") "+
				"or modernc.org/sqlite (\"sqlite\"), or name the database with WithDialect", name)
		}
		s.dialect = d
	}
	s.d = dialects[s.dialect]
	if s.d.name == SQLite {
		w, _ := writers.LoadOrStore(db, make(chan struct{}, 1))
		s.writer = w.(chan struct{})
	}
	s.q = buildQueries(s.d, s.table)
	codec, err := storekit.NewCodec("sqlstore:"+s.table, s.encKey)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: WithEncryptionKey: %w", err)
	}
	s.codec, s.encKey = codec, nil

	ctx, cancel := context.WithTimeout(context.Background(), max(10*time.Second, s.timeout))
	defer cancel()
	var mode string
	if s.d.name == SQLite {
		if err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
			return nil, fmt.Errorf("sqlstore: switching SQLite to WAL: %w", err)
		}
	}
	if err := s.ensureTable(ctx); err != nil {
		return nil, fmt.Errorf("sqlstore: creating table %s: %w", s.table, err)
	}
	if mode == "memory" && db.Stats().MaxOpenConnections != 1 {
		if err := s.oneDatabase(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// oneDatabase checks that an in-memory SQLite database is one database for
// two connections of the pool, as a file is: ":memory:" opens a new, empty
// one on each, where the table New created does not exist.
func (s *Store) oneDatabase(ctx context.Context) error {
	a, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	for _, c := range []*sql.Conn{a, b} {
		if _, err := c.ExecContext(ctx, s.q.probe); err != nil {
			return errors.New("sqlstore: the SQLite database is in memory, a new one on each connection of the pool: " +
				"use a file (or a shared in-memory one, file:NAME?mode=memory&cache=shared, or db.SetMaxOpenConns(1))")
		}
	}
	return nil
}

// ensureTable creates the table and its index if missing. It looks
// before it creates: a role that may use the rows of a table made by a
// migration or its owner may not run CREATE … IF NOT EXISTS on it (Postgres
// checks the schema's CREATE right and the table's ownership first), and
// an index it cannot create is not needed to work.
// Replicas starting at once may race on Postgres's catalog; a second try
// settles it.
func (s *Store) ensureTable(ctx context.Context) error {
	var err error
	for range 3 {
		if err = s.withConn(ctx, true, func(ctx context.Context, c querier) error {
			if _, err := c.ExecContext(ctx, s.q.probe); err != nil { // no table yet
				for _, stmt := range s.q.create {
					if _, err := c.ExecContext(ctx, stmt); err != nil {
						return err
					}
				}
				// IF NOT EXISTS passes over anything of that name (a view, a
				// table of other columns): ours must be there now.
				if _, err := c.ExecContext(ctx, s.q.probe); err != nil {
					return err
				}
			}
			var indexed bool
			if err := c.QueryRowContext(ctx, s.q.hasIndex).Scan(&indexed); err != nil || !indexed {
				// The index only speeds up the cleanup of expired rows: a
				// role that may not create it (a migration's table, whose
				// own index may go by another name) works without it.
				for _, stmt := range s.q.index {
					_, _ = c.ExecContext(ctx, stmt)
				}
			}
			return nil
		}); err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// querier is what a *sql.DB and a *sql.Conn have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// writers holds, per SQLite *sql.DB, the token a writer of this process
// holds while it writes.
var writers sync.Map // *sql.DB -> chan struct{}

// withConn runs fn on the database. On Postgres, and for SQLite's reads, fn
// runs on the pool, each statement on its own. SQLite's writes run on one
// connection with the busy timeout set, inside BEGIN IMMEDIATE … COMMIT
// (the write lock is taken first, so that a busy file is waited for, up to
// the timeout, instead of failing a read-then-write transaction). Writers
// of one process queue for their turn in Go, in order, rather than in
// SQLite's busy handler, which polls with sleeps of up to 100 ms and lets
// a herd of writers in one process wait past any timeout; the busy timeout
// is left to arbitrate between processes.
func (s *Store) withConn(ctx context.Context, write bool, fn func(context.Context, querier) error) (err error) {
	if s.d.name != SQLite || !write { // a WAL reader never waits for a writer
		return fn(ctx, s.db)
	}
	select {
	case s.writer <- struct{}{}:
		defer func() { <-s.writer }()
	case <-ctx.Done():
		return ctx.Err()
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Per connection: wait for another process's write up to the timeout;
	// in WAL mode, commit without an fsync each (the WAL is synced at
	// checkpoints; a crash may lose the last tokens, never corrupt the file).
	for _, pragma := range []string{"PRAGMA busy_timeout = " + strconv.FormatInt(s.timeout.Milliseconds(), 10), "PRAGMA synchronous = NORMAL"} {
		if _, err := conn.ExecContext(ctx, pragma); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err == nil {
			if _, err = conn.ExecContext(ctx, "COMMIT"); err == nil {
				return
			}
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		if _, rerr := conn.ExecContext(rctx, "ROLLBACK"); rerr != nil {
			// Never hand the pool a connection inside a transaction.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return fn(ctx, conn)
}

// run runs fn unless the Store is cooling down, within the timeout. A
// database error starts the cooldown and marks the table for a check
// before the next statement (it may have been dropped).
func (s *Store) run(ctx context.Context, write bool, fn func(context.Context, querier) error) error {
	if s.down.Active() {
		return ErrUnavailable
	}
	octx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := error(nil)
	if s.unchecked.Load() {
		if err = s.ensureTable(octx); err == nil {
			s.unchecked.Store(false)
		}
	}
	if err == nil {
		err = s.withConn(octx, write, fn)
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil { // the caller gave up: not the database's fault
		return ctx.Err()
	}
	s.down.Start(s.cooldown)
	s.unchecked.Store(true)
	s.warnDown.Warn(s.logger, "sqlstore: database unavailable; serving from memory and the provider",
		slog.String("dialect", string(s.d.name)), slog.String("error", err.Error()), slog.Duration("cooldown", s.cooldown))
	return fmt.Errorf("sqlstore: %w", err)
}

func tokenKey(hash string) string { return "t:" + hash }
func lockKey(hash string) string  { return "l:" + hash }

// refused logs (rate-limited) a stored value that Load treats as a miss.
func (s *Store) refused(err error) {
	if errors.Is(err, storekit.ErrUnseal) {
		s.warnOpen.Warn(s.logger, "sqlstore: a stored token does not open with this replica's encryption key; "+
			"replicas must share one WithEncryptionKey to share tokens")
		return
	}
	s.warnValue.Warn(s.logger, "sqlstore: a stored value was refused and treated as a miss", slog.String("reason", err.Error()))
}

// Load returns the entry stored for key if its row has not expired. A
// value over MaxValueBytes (not read), one that does not open, belongs to
// another key or does not decode is a miss, logged at most every 30 s.
func (s *Store) Load(ctx context.Context, key string) (tokencache.Entry, bool, error) {
	hash := storekit.KeyHash(key)
	var raw []byte
	var size sql.NullInt64
	found := false
	err := s.run(ctx, false, func(ctx context.Context, c querier) error {
		err := c.QueryRowContext(ctx, s.q.load, tokenKey(hash), MaxValueBytes).Scan(&raw, &size)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		}
		found = true
		return nil
	})
	if err != nil || !found {
		return tokencache.Entry{}, false, err
	}
	if raw == nil {
		if size.Int64 > MaxValueBytes {
			s.refused(storekit.ErrTooLarge)
		} else {
			s.refused(storekit.ErrGarbage)
		}
		return tokencache.Entry{}, false, nil
	}
	e, derr := s.codec.Decode(hash, raw)
	if derr != nil {
		s.refused(derr)
		return tokencache.Entry{}, false, nil
	}
	return e, true, nil
}

// Save stores e until its token's ExpiresAt, replacing key's entry. A value
// over MaxValueBytes is an error and is not stored. At most every 30 s a
// Save also deletes up to 100 expired rows.
func (s *Store) Save(ctx context.Context, key string, e tokencache.Entry) error {
	ttl := time.Until(e.Token.ExpiresAt)
	if ttl < time.Millisecond {
		return nil
	}
	hash := storekit.KeyHash(key)
	raw, err := s.codec.Encode(hash, e)
	if err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	clean := s.cleanDue()
	return s.run(ctx, true, func(ctx context.Context, c querier) error {
		if _, err := c.ExecContext(ctx, s.q.save, tokenKey(hash), s.codec.Fingerprint(e.Token.Value), raw, ttl.Milliseconds()); err != nil {
			return scrub(err, raw, e.Token)
		}
		if clean {
			_, err := c.ExecContext(ctx, s.q.clean)
			return err
		}
		return nil
	})
}

// scrub returns err, unless its message quotes what Save sent: Postgres
// quotes a value it cannot convert to its column's type (a table altered
// under the Store), and an unsealed value is the token in clear. Then it
// returns the message with the value, the token and its Extra replaced.
func scrub(err error, raw []byte, tok tokencache.Token) error {
	msg := err.Error()
	clean := redact.Secrets(msg, append([]string{string(raw), tok.Value}, slices.Collect(maps.Values(tok.Extra))...))
	if clean == msg {
		return err
	}
	return errors.New(clean)
}

// cleanDue reports whether this Save should delete expired rows: the first
// of a Store, then one every cleanEvery.
func (s *Store) cleanDue() bool {
	now := time.Now().UnixNano()
	prev := s.lastClean.Load()
	return (prev == 0 || now-prev >= int64(cleanEvery)) && s.lastClean.CompareAndSwap(prev, now)
}

// Delete removes key's entry only if it holds tok (compared by a
// fingerprint of its value, inside the database).
func (s *Store) Delete(ctx context.Context, key string, tok tokencache.Token) error {
	hash := storekit.KeyHash(key)
	return s.run(ctx, true, func(ctx context.Context, c querier) error {
		_, err := c.ExecContext(ctx, s.q.delete, tokenKey(hash), s.codec.Fingerprint(tok.Value))
		return err
	})
}

// TryLock takes key's refresh lock: a row with a random owner and a lease
// of ttl, inserted, or taken over only once the previous lease has run out
// (by the database's clock). release deletes the row only while this owner
// still holds it.
func (s *Store) TryLock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, bool, error) {
	lk := lockKey(storekit.KeyHash(key))
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	owner := hex.EncodeToString(b)
	acquired := false
	err := s.run(ctx, true, func(ctx context.Context, c querier) error {
		res, err := c.ExecContext(ctx, s.q.lock, lk, owner, max(ttl.Milliseconds(), 1))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		acquired = n == 1
		return err
	})
	if err != nil || !acquired {
		return nil, false, err
	}
	release := func(ctx context.Context) error {
		return s.run(ctx, true, func(ctx context.Context, c querier) error {
			_, err := c.ExecContext(ctx, s.q.unlock, lk, owner)
			return err
		})
	}
	return release, true, nil
}

// MaxValueBytes is storekit's cap, spelled out for godoc: this fails to
// compile if the two differ.
var _ = [1]struct{}{}[MaxValueBytes-storekit.MaxValueBytes]
