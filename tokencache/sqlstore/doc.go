// Package sqlstore is a tokencache.Store on database/sql: on Postgres, so
// that a fleet of replicas that already shares a database mints one token
// per refresh between them, and on SQLite, so that a single host's tokens
// survive a restart (a crash loop does not burn through a provider's mint
// limit).
//
//	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL")) // import _ "github.com/jackc/pgx/v5/stdlib"
//	if err != nil {
//		return err
//	}
//	store, err := sqlstore.New(db, sqlstore.WithEncryptionKey(key))
//	if err != nil {
//		return err // an unknown driver, a table it cannot create, a bad option
//	}
//	cache := tokencache.New(tokencache.WithStore(store))
//
// [New] recognises the driver behind the *sql.DB: Postgres through
// github.com/jackc/pgx/v5/stdlib ("pgx") and SQLite through
// modernc.org/sqlite ("sqlite", pure Go). The drivers are the caller's
// imports; this package imports neither and registers nothing. A driver
// wrapped by another (tracing, metrics) is named with [WithDialect].
//
// One table (default "checkoutkit_tokens", created if missing) holds a row
// per token and per refresh lock: the key is a hash of the cache key (no
// email, client id or credential is stored), the value is the entry bound
// to that hash (it names the hash, checked on every Load, so a row copied
// to another key is a miss) and, with [WithEncryptionKey], sealed with
// AES-GCM whose additional data is the hash as well. A value over 64 KiB is
// refused. Rows expire with their token: a Load ignores an expired row, and
// at most every 30 s a Save deletes up to 100 expired rows through the
// index on the expiry column, never with a scan of the whole table.
// Invalidation is a compare-and-delete on a fingerprint of the token.
//
// The refresh lock is a row with a lease (an expiry column taken with
// INSERT … ON CONFLICT … DO UPDATE … WHERE the lease has run out), not a
// session advisory lock, which a pooler such as PgBouncer in transaction
// mode would strand. Times are the database's clock, so replicas whose
// clocks disagree still agree on a lease. On SQLite the writes run in a
// BEGIN IMMEDIATE transaction with a busy timeout (the Store's timeout),
// and New switches the file to WAL, so that readers never wait on a writer.
// SQLite needs a file: ":memory:" is a new, empty database on every
// connection of the pool, so New refuses it (unless the pool holds one
// connection, or the database is a shared in-memory one).
//
// Database trouble never fails a Get and never adds more than the timeout
// to one: a stopped Postgres, a locked SQLite file, a dropped table, a row
// of garbage are logged (a warning at most every 30 s, with no key, token
// or encryption key) and treated as a miss. After an error the Store stays
// out of the way for a short cooldown, then checks its table (re-creating a
// dropped one) and shares again.
package sqlstore
