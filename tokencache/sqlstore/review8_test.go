package sqlstore_test

import (
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/storekit"
	"github.com/checkoutkit/checkoutkit/tokencache/sqlstore"
)

// SQLite's length() counts the characters of a TEXT value, and only up to
// its first NUL: a TEXT value that starts with a NUL measures 0 however
// large it is. Whoever can write to the file must not make a Load read
// such a value whole (the cap promises it is not even read).
func TestSQLiteOversizedTextIsNotRead(t *testing.T) {
	b := sqliteBackend(t)
	db := b.open()
	st := b.store(t, db)
	const size = 16 << 20
	for _, v := range []string{"\x00" + strings.Repeat("x", size), "\x00" + strings.Repeat("\u00e9", size/2)} {
		_, err := db.Exec(fmt.Sprintf("INSERT OR REPLACE INTO %s (k, fp, v, expires_at) VALUES (?1, 'fp', ?2, ?3)", b.table),
			"t:"+storekit.KeyHash("big"), v, time.Now().Add(time.Hour).UnixMilli())
		require.NoError(t, err)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, ok, err := st.Load(bg, "big")
		runtime.ReadMemStats(&after)
		require.NoError(t, err)
		assert.False(t, ok)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20),
			"a %d-byte TEXT value over the cap was read by Load", len(v))
	}
}

// A column whose type an operator changed under the Store (v to integer)
// makes Postgres quote the value it could not convert in its error: an
// unsealed value is the token in clear, and it must reach neither Save's
// error nor the Store's log.
func TestPostgresErrorsDoNotQuoteTheToken(t *testing.T) {
	b := pgBackend(t)
	db := b.open()
	var logs lockedLog
	st := b.store(t, db, sqlstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	_, err := db.Exec("ALTER TABLE " + b.table + " ALTER COLUMN v TYPE integer USING NULL")
	require.NoError(t, err)
	e := entry("tok-secretvalue-1234", time.Hour)
	e.Token.Extra = map[string]string{"external_token": "ext-secretvalue-5678"}
	err = st.Save(bg, "k", e)
	require.Error(t, err)
	for _, secret := range []string{"tok-secretvalue-1234", "ext-secretvalue-5678"} {
		assert.NotContains(t, err.Error(), secret)
		assert.NotContains(t, logs.String(), secret)
	}
	assert.Contains(t, logs.String(), "invalid input syntax", "the database's reason is still logged")
}
