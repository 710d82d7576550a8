package sqlstore_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/tokencache/sqlstore"
)

// A table created by a migration (or by a first replica running as its
// owner) is used by an application role that may read and write its rows
// but not create tables in the schema nor own the table: the usual
// least-privilege setup. New must use the existing table and index rather
// than fail on CREATE … IF NOT EXISTS, which Postgres refuses to such a
// role even when the table and index are there.
func TestPostgresExistingTableNeedsNoDDLRights(t *testing.T) {
	for _, renamed := range []bool{false, true} {
		t.Run(map[bool]string{false: "our index", true: "the migration's own index"}[renamed], func(t *testing.T) {
			testExistingTable(t, renamed)
		})
	}
}

// testExistingTable runs that test; with renamed, the migration named the
// index on the expiry column its own way (New would create ours).
func testExistingTable(t *testing.T, renamed bool) {
	srv := sharedPG(t)
	admin := openDB(t, "pgx", srv.DSN)
	table := tableFor(t)
	_, err := sqlstore.New(admin, sqlstore.WithTable(table)) // the owner creates table and index
	require.NoError(t, err)
	if renamed {
		_, err := admin.Exec("ALTER INDEX " + table + "_expires_at RENAME TO " + table + "_by_expiry")
		require.NoError(t, err)
	}

	const role = "ck_review2_app"
	for _, q := range []string{
		"DROP ROLE IF EXISTS " + role,
		"CREATE ROLE " + role + " LOGIN",
		"REVOKE CREATE ON SCHEMA public FROM PUBLIC", // already so since Postgres 15
		"GRANT SELECT, INSERT, UPDATE, DELETE ON " + table + " TO " + role,
	} {
		_, err := admin.Exec(q)
		require.NoError(t, err, q)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP OWNED BY " + role)
		_, _ = admin.Exec("DROP ROLE IF EXISTS " + role)
	})
	u, err := url.Parse(srv.DSN)
	require.NoError(t, err)
	u.User = url.User(role)
	app := openDB(t, "pgx", u.String())

	s, err := sqlstore.New(app, sqlstore.WithTable(table))
	require.NoError(t, err, "New on an existing table, as a role that may not create one")
	require.NoError(t, s.Save(bg, "k", entry("tok-least-privilege", time.Hour)))
	e, ok, err := s.Load(bg, "k")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "tok-least-privilege", e.Token.Value)
	release, acquired, err := s.TryLock(bg, "k", time.Second)
	require.NoError(t, err)
	require.True(t, acquired)
	require.NoError(t, release(bg))
}
