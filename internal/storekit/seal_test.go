package storekit

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/checkoutkit/checkoutkit/tokencache"
)

func entry(v string) tokencache.Entry {
	exp := time.Now().Add(time.Hour)
	return tokencache.Entry{Token: tokencache.Token{Value: v, Type: "Bearer", ExpiresAt: exp, Extra: map[string]string{"customer_id": "12345"}}, RefreshAt: exp.Add(-5 * time.Minute)}
}

func TestRoundTripAndBinding(t *testing.T) {
	for _, key := range [][]byte{nil, []byte("0123456789abcdef")} {
		c, err := NewCodec("salt", key)
		if err != nil {
			t.Fatal(err)
		}
		alice, bob := KeyHash("alice"), KeyHash("bob")
		raw, err := c.Encode(alice, entry("tok-secret"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decode(alice, raw)
		if err != nil || got.Token.Value != "tok-secret" || got.Token.Extra["customer_id"] != "12345" {
			t.Fatalf("sealed=%v: round trip: %v %v", c.Sealed(), got, err)
		}
		if _, err := c.Decode(bob, raw); err == nil {
			t.Fatalf("sealed=%v: alice's value opened for bob", c.Sealed())
		}
		if c.Sealed() == bytes.Contains(raw, []byte("tok-secret")) {
			t.Fatalf("sealed=%v: value in clear: %v", c.Sealed(), !c.Sealed())
		}
	}
}

// The additional data is the key's binding: a direct check that fails if
// Seal passes nil (or anything else) as additional data.
func TestAdditionalDataIsTheKeyBinding(t *testing.T) {
	c, err := NewCodec("salt", []byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	h := KeyHash("k")
	raw, err := c.Encode(h, entry("tok-secret"))
	if err != nil {
		t.Fatal(err)
	}
	n := c.aead.NonceSize()
	if _, err := c.aead.Open(nil, raw[:n], raw[n:], nil); err == nil {
		t.Fatal("opens with nil additional data: not bound to its key")
	}
	if _, err := c.aead.Open(nil, raw[:n], raw[n:], additionalData(h)); err != nil {
		t.Fatalf("does not open with the key's binding: %v", err)
	}
	if string(additionalData(h)) == string(additionalData(KeyHash("other"))) {
		t.Fatal("the binding does not depend on the key")
	}
}

func TestRefusals(t *testing.T) {
	plain, _ := NewCodec("salt", nil)
	sealed, _ := NewCodec("salt", []byte("0123456789abcdef"))
	h := KeyHash("k")
	for _, tc := range []struct {
		name string
		c    *Codec
		raw  []byte
		want error
	}{
		{"garbage", plain, []byte("garbage"), ErrGarbage},
		{"empty value", plain, []byte(`{"k":"` + h + `","v":""}`), ErrGarbage},
		{"unbound", plain, []byte(`{"k":"` + KeyHash("x") + `","v":"tok"}`), ErrUnbound},
		{"unkeyed", plain, []byte(`{"v":"tok"}`), ErrUnbound},
		{"too large", plain, []byte(`{"k":"` + h + `","v":"` + strings.Repeat("x", MaxValueBytes) + `"}`), ErrTooLarge},
		{"short sealed", sealed, []byte("abc"), ErrUnseal},
		{"plain read sealed", sealed, []byte(`{"k":"` + h + `","v":"tok"}`), ErrUnseal},
	} {
		if _, err := tc.c.Decode(h, tc.raw); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := plain.Encode(h, entry(strings.Repeat("x", MaxValueBytes))); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Encode of an oversized entry: %v", err)
	}
	if _, err := NewCodec("salt", []byte("short-k3y")); err == nil || strings.Contains(err.Error(), "short-k3y") {
		t.Errorf("short key: %v", err)
	}
}

func TestFingerprint(t *testing.T) {
	plain, _ := NewCodec("a", nil)
	other, _ := NewCodec("b", nil)
	sealed, _ := NewCodec("a", []byte("0123456789abcdef"))
	fp := plain.Fingerprint("tok")
	if len(fp) != FingerprintLen || fp == other.Fingerprint("tok") || fp == sealed.Fingerprint("tok") || fp == plain.Fingerprint("tok2") {
		t.Fatal("fingerprints do not separate salts, keys and values")
	}
	if fp != plain.Fingerprint("tok") {
		t.Fatal("not deterministic")
	}
}

func TestWarnerRateLimits(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	var w Warner
	for range 5 {
		w.Warn(l, "trouble", slog.String("reason", "x"))
	}
	w.Warn(nil, "nil logger is fine")
	if n := strings.Count(buf.String(), "trouble"); n != 1 {
		t.Fatalf("%d warnings, want 1", n)
	}
	var c Cooldown
	if c.Active() {
		t.Fatal("zero cooldown active")
	}
	c.Start(time.Hour)
	if !c.Active() {
		t.Fatal("cooldown not active")
	}
}
