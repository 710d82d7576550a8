package storekit

import (
	"bytes"
	"testing"
)

// FuzzDecode feeds Decode arbitrary stored values: it never panics, and
// whatever it accepts is a non-empty token bound to the key it was read at.
func FuzzDecode(f *testing.F) {
	plain, _ := NewCodec("salt", nil)
	sealed, _ := NewCodec("salt", []byte("0123456789abcdef"))
	h := KeyHash("k")
	for _, c := range []*Codec{plain, sealed} {
		raw, err := c.Encode(h, entry("tok"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(`{"k":"` + h + `","v":"x","e":1,"r":2}`))
	f.Add([]byte(`{"k":"` + KeyHash("other") + `","v":"x"}`))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, c := range []*Codec{plain, sealed} {
			e, err := c.Decode(h, raw)
			if err != nil {
				continue
			}
			if e.Token.Value == "" {
				t.Fatal("accepted an empty token")
			}
			if len(raw) > MaxValueBytes {
				t.Fatal("accepted a value over the cap")
			}
			if !c.Sealed() && !bytes.Contains(raw, []byte(h)) {
				t.Fatal("accepted a value that does not name its key")
			}
		}
	})
}
