package tokencache

import (
	"context"
	"time"
)

// Entry is what a [Store] keeps for one key: the token and the time from
// which its holders should refresh it. Sharing RefreshAt keeps every process
// of a fleet agreeing on when a token turns stale.
type Entry struct {
	Token     Token
	RefreshAt time.Time
}

// Store is a second cache level shared between processes, such as
// redisstore.Store. The in-memory level stays in front of it: a Store is read
// only when a key has no fresh token in memory, and only by the one fetch in
// flight for that key.
//
// Keys passed to a Store are the cache's keys as given to Get; an
// implementation that persists them should hash them, since they may carry
// personal data. Implementations must be safe for concurrent use. Any error
// they return is logged by the cache and otherwise treated as a miss: a Store
// can make sharing fail, never a Get.
type Store interface {
	// Load returns the entry saved for key, with ok false when there is none.
	Load(ctx context.Context, key string) (e Entry, ok bool, err error)

	// Save stores e for key until e.Token.ExpiresAt, replacing any entry.
	Save(ctx context.Context, key string, e Entry) error

	// Delete removes key's entry only if it still holds a token whose Value
	// equals tok.Value (compare-and-delete), so that invalidating a rejected
	// token never drops a newer one.
	Delete(ctx context.Context, key string, tok Token) error

	// TryLock takes key's refresh lock for at most ttl without waiting.
	// acquired reports whether this caller holds it; if so, release gives it
	// back (and must do nothing if the lock has meanwhile expired and been
	// taken by someone else). The cache holds the lock while it mints, and
	// callers that did not get it poll Load for the holder's token.
	TryLock(ctx context.Context, key string, ttl time.Duration) (release func(context.Context) error, acquired bool, err error)
}
