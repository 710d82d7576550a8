package storekit

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/checkoutkit/checkoutkit/tokencache"
)

// MaxValueBytes caps a stored value. A token, its type and what travels
// with it fit in a few KiB; a store refuses to save a larger value and a
// Load treats one as a miss, so that whoever can write to the store cannot
// make a replica read and serve megabytes (the provider path caps response
// bodies too).
const MaxValueBytes = 64 << 10

// MinKeyBytes is the shortest encryption key a store accepts.
const MinKeyBytes = 16

// FingerprintLen is the length of [Codec.Fingerprint]'s result.
const FingerprintLen = 32

// Reasons a stored value is refused. Each is a miss for the cache; the
// stores log them (rate-limited) so that a misconfiguration is seen.
var (
	// ErrTooLarge: the value is over MaxValueBytes.
	ErrTooLarge = errors.New("stored value over the size cap")
	// ErrUnseal: a sealed value does not open with this key (another
	// replica's key, tampering, or bound to another key).
	ErrUnseal = errors.New("stored value does not open with this encryption key")
	// ErrUnbound: the value names another key than the one it is stored at
	// (copied from another key).
	ErrUnbound = errors.New("stored value belongs to another key")
	// ErrGarbage: the value is not an entry at all.
	ErrGarbage = errors.New("stored value is not a token entry")
)

// Codec lays entries out for a store. The zero value is not usable; build
// one with [NewCodec]. A Codec is safe for concurrent use.
type Codec struct {
	salt string
	aead cipher.AEAD // nil: values are bound but not sealed
	mac  []byte      // fingerprint key: derived from the encryption key, or nil
}

// NewCodec returns a Codec. salt separates the fingerprints of different
// stores (a Redis prefix, a table name). encKey, when not nil, seals values
// with AES-256-GCM under SHA-256(encKey); it must hold at least
// MinKeyBytes. The error never contains the key.
func NewCodec(salt string, encKey []byte) (*Codec, error) {
	c := &Codec{salt: salt}
	if encKey == nil {
		return c, nil
	}
	if len(encKey) < MinKeyBytes {
		return nil, fmt.Errorf("the key must hold at least %d bytes", MinKeyBytes)
	}
	k := sha256.Sum256(encKey)
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	if c.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte("checkoutkit fingerprint"))
	c.mac = m.Sum(nil)
	return c, nil
}

// Sealed reports whether values are encrypted.
func (c *Codec) Sealed() bool { return c.aead != nil }

// Fingerprint identifies a token value without revealing it, for
// compare-and-delete inside the store: FingerprintLen hex digits of a
// SHA-256 (an HMAC under the encryption key when there is one) of salt and
// value.
func (c *Codec) Fingerprint(value string) string {
	var sum []byte
	if c.mac != nil {
		m := hmac.New(sha256.New, c.mac)
		m.Write([]byte(c.salt + "\x00" + value))
		sum = m.Sum(nil)
	} else {
		s := sha256.Sum256([]byte(c.salt + "\x00" + value))
		sum = s[:]
	}
	return hex.EncodeToString(sum[:FingerprintLen/2])
}

// stored is the JSON form of an entry.
type stored struct {
	Key       string            `json:"k"` // the KeyHash it is stored at
	Value     string            `json:"v"`
	Type      string            `json:"t,omitempty"`
	ExpiresAt int64             `json:"e"` // unix nanos
	RefreshAt int64             `json:"r"`
	Extra     map[string]string `json:"x,omitempty"`
}

// additionalData binds a sealed value to the key it is stored at: a value
// moved to another key does not open.
func additionalData(keyHash string) []byte { return []byte("checkoutkit/v2 " + keyHash) }

// Encode lays e out for the key whose hash is keyHash: JSON naming keyHash,
// sealed with AES-GCM (nonce first, additional data naming keyHash) when the
// Codec has a key. It refuses a result over MaxValueBytes.
func (c *Codec) Encode(keyHash string, e tokencache.Entry) ([]byte, error) {
	payload, err := json.Marshal(stored{
		Key: keyHash, Value: e.Token.Value, Type: e.Token.Type, Extra: e.Token.Extra,
		ExpiresAt: e.Token.ExpiresAt.UnixNano(), RefreshAt: e.RefreshAt.UnixNano(),
	})
	if err != nil {
		return nil, err
	}
	out := payload
	if c.aead != nil {
		nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(payload)+c.aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		out = c.aead.Seal(nonce, nonce, payload, additionalData(keyHash))
	}
	if len(out) > MaxValueBytes {
		return nil, ErrTooLarge
	}
	return out, nil
}

// Decode opens what Encode made for keyHash. A value that is too large,
// does not open, names another key or is not an entry is an error wrapping
// one of ErrTooLarge, ErrUnseal, ErrUnbound, ErrGarbage; callers treat it as
// a miss.
func (c *Codec) Decode(keyHash string, raw []byte) (tokencache.Entry, error) {
	if len(raw) > MaxValueBytes {
		return tokencache.Entry{}, ErrTooLarge
	}
	payload := raw
	if c.aead != nil {
		n := c.aead.NonceSize()
		if len(raw) < n {
			return tokencache.Entry{}, ErrUnseal
		}
		var err error
		if payload, err = c.aead.Open(nil, raw[:n], raw[n:], additionalData(keyHash)); err != nil {
			return tokencache.Entry{}, ErrUnseal
		}
	}
	var v stored
	if json.Unmarshal(payload, &v) != nil || v.Value == "" {
		return tokencache.Entry{}, ErrGarbage
	}
	if !hmac.Equal([]byte(v.Key), []byte(keyHash)) {
		return tokencache.Entry{}, ErrUnbound
	}
	return tokencache.Entry{
		Token:     tokencache.Token{Value: v.Value, Type: v.Type, ExpiresAt: time.Unix(0, v.ExpiresAt), Extra: v.Extra},
		RefreshAt: time.Unix(0, v.RefreshAt),
	}, nil
}
