package sqlstore_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/storekit"
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
