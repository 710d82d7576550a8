package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/checkoutkit/checkoutkit/tokencache"
	"github.com/checkoutkit/checkoutkit/tokencache/sqlstore"
)

// Two caches on one SQLite file (two processes of a host, or one process
// before and after a restart) mint one token between them.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "sqlstore-example")
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", filepath.Join(dir, "tokens.db")) // import _ "modernc.org/sqlite"
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	store, err := sqlstore.New(db, sqlstore.WithEncryptionKey([]byte("16+ bytes of secret, from config")))
	if err != nil {
		fmt.Println(err) // an unknown driver, a table it cannot create, a bad option
		return
	}

	mints := 0
	fetch := func(context.Context) (tokencache.Token, error) {
		mints++
		return tokencache.Token{Value: fmt.Sprint("token-", mints), ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	for _, replica := range []string{"first", "second"} {
		cache := tokencache.New(tokencache.WithStore(store))
		tok, err := cache.Get(context.Background(), "cartevo:client", fetch)
		cache.Close()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s cache: %s, mints so far: %d\n", replica, tok.Value, mints)
	}
	// Output:
	// first cache: token-1, mints so far: 1
	// second cache: token-1, mints so far: 1
}

// On Postgres, every replica opens the fleet's database with pgx's
// database/sql driver; between them they mint one token per refresh.
// (Compiled, not run: it needs a Postgres.)
func ExampleNew_postgres() {
	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL")) // import _ "github.com/jackc/pgx/v5/stdlib"
	if err != nil {
		return
	}
	store, err := sqlstore.New(db, sqlstore.WithEncryptionKey([]byte(os.Getenv("TOKEN_CACHE_KEY"))))
	if err != nil {
		return
	}
	cache := tokencache.New(tokencache.WithStore(store))
	defer cache.Close()
}
