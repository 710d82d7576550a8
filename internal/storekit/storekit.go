// Package storekit is what the shared token stores (redisstore, sqlstore)
// have in common: how a cache key is hashed, how an entry is laid out,
// bound to its key and sealed, how large a stored value may be, and the
// rate-limited warnings they log. One implementation, so the two stores
// cannot drift apart on any of the rules a stored entry must pass.
package storekit

import (
	"crypto/sha256"
	"encoding/hex"
)

// KeyHash is the name a cache key goes by in a store: 32 hex digits of its
// SHA-256. Cache keys may carry personal data (emails) or credential
// hashes; a store never holds them in clear.
func KeyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}
