package sqlstore

import (
	"database/sql"
	"reflect"
	"strconv"
	"strings"
)

// Dialect names the SQL a Store speaks.
type Dialect string

// The dialects [New] knows.
const (
	Postgres Dialect = "postgres" // github.com/jackc/pgx/v5/stdlib
	SQLite   Dialect = "sqlite"   // modernc.org/sqlite
)

// dialect holds what differs between the two databases.
type dialect struct {
	name   Dialect
	blob   string // column type of a value
	bigint string
	now    string // the database's clock in unix milliseconds
	length string // bytes in a value
	index  string // whether the index on the expiry column exists
}

var dialects = map[Dialect]*dialect{
	Postgres: {
		name: Postgres, blob: "BYTEA", bigint: "BIGINT", length: "octet_length",
		now:   "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)",
		index: "SELECT to_regclass('{t}_expires_at') IS NOT NULL",
	},
	// octet_length, not length: length counts a TEXT value's characters,
	// and only up to its first NUL, so it lets any size past the cap.
	SQLite: {
		name: SQLite, blob: "BLOB", bigint: "INTEGER", length: "octet_length",
		now:   "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
		index: "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'index' AND name = '{t}_expires_at' COLLATE NOCASE",
	},
}

// driverPackages maps the package of a database/sql driver to its dialect.
var driverPackages = map[string]Dialect{
	"github.com/jackc/pgx/v5/stdlib": Postgres,
	"modernc.org/sqlite":             SQLite,
}

// detect recognises the driver behind db by the package that defines it.
func detect(db *sql.DB) (Dialect, string) {
	drv := db.Driver()
	t := reflect.TypeOf(drv)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "", "<nil>"
	}
	return driverPackages[t.PkgPath()], t.PkgPath() + "." + t.Name()
}

// placeholders rewrites $1, $2 … for SQLite, which numbers them ?1, ?2 ….
func (d *dialect) placeholders(q string) string {
	if d.name != SQLite {
		return q
	}
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if q[i] == '$' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9' {
			b.WriteByte('?')
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// queries are a Store's statements, built once for its table and dialect.
type queries struct {
	create, index       []string
	probe, hasIndex     string // reads only: the table and its index are there
	load, save, delete  string
	lock, clean, unlock string
}

func buildQueries(d *dialect, table string) queries {
	r := strings.NewReplacer("{t}", table, "{blob}", d.blob, "{bigint}", d.bigint, "{now}", d.now, "{len}", d.length)
	q := func(s string) string { return d.placeholders(r.Replace(s)) }
	return queries{
		create: []string{q(`CREATE TABLE IF NOT EXISTS {t} (
	k TEXT PRIMARY KEY,
	fp TEXT NOT NULL,
	v {blob},
	expires_at {bigint} NOT NULL
)`)},
		index:    []string{q(`CREATE INDEX IF NOT EXISTS {t}_expires_at ON {t} (expires_at)`)},
		probe:    q(`SELECT k, fp, v, expires_at FROM {t} WHERE 1 = 0`),
		hasIndex: q(d.index),
		load: q(`SELECT CASE WHEN {len}(v) <= $2 THEN v END, {len}(v) FROM {t}
WHERE k = $1 AND expires_at > {now}`),
		save: q(`INSERT INTO {t} (k, fp, v, expires_at) VALUES ($1, $2, $3, {now} + $4)
ON CONFLICT (k) DO UPDATE SET fp = excluded.fp, v = excluded.v, expires_at = excluded.expires_at`),
		delete: q(`DELETE FROM {t} WHERE k = $1 AND fp = $2`),
		lock: q(`INSERT INTO {t} (k, fp, v, expires_at) VALUES ($1, $2, NULL, {now} + $3)
ON CONFLICT (k) DO UPDATE SET fp = excluded.fp, expires_at = excluded.expires_at
WHERE {t}.expires_at <= {now}`),
		unlock: q(`DELETE FROM {t} WHERE k = $1 AND fp = $2`),
		clean: q(`DELETE FROM {t} WHERE k IN (SELECT k FROM {t} WHERE expires_at <= {now} LIMIT ` +
			strconv.Itoa(cleanBatch) + `)`),
	}
}
