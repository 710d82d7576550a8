package sqlstore_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/checkoutkit/checkoutkit/tokencache/sqlstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An in-memory SQLite database is a new, empty one on each connection of
// a pool: New refuses it, saying what to use, instead of a Store whose
// every call on a second connection fails with "no such table". One
// connection, or a shared cache, is one database, and works.
func TestInMemorySQLiteOnAPoolIsRefused(t *testing.T) {
	open := func(dsn string, conns int) *sql.DB {
		db, err := sql.Open("sqlite", dsn)
		require.NoError(t, err)
		db.SetMaxOpenConns(conns)
		t.Cleanup(func() { db.Close() })
		return db
	}
	_, err := sqlstore.New(open(":memory:", 0))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "in memory")
	assert.Contains(t, err.Error(), "use a file")

	for _, db := range []*sql.DB{open(":memory:", 1), open("file:one?mode=memory&cache=shared", 0)} {
		s, err := sqlstore.New(db)
		require.NoError(t, err)
		ctx := t.Context()
		require.NoError(t, s.Save(ctx, "k", entry("v", time.Hour)))
		_, ok, err := s.Load(ctx, "k")
		require.NoError(t, err)
		assert.True(t, ok)
	}
}
