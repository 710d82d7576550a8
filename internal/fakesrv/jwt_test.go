package fakesrv

import (
	"testing"
	"time"
)

func TestJWT(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	tok := SignJWT(key, map[string]any{"sub": "a", "exp": now.Add(time.Minute).Unix()})
	claims, err := ParseJWT(key, tok, clock, true)
	if err != nil || claims["sub"] != "a" {
		t.Fatalf("%v %v", claims, err)
	}
	if _, err := ParseJWT([]byte("another key, as long as the first"), tok, clock, true); err == nil {
		t.Error("another key verified")
	}
	later := func() time.Time { return now.Add(time.Hour) }
	if _, err := ParseJWT(key, tok, later, true); err == nil {
		t.Error("expired token verified")
	}
	noExp := SignJWT(key, map[string]any{"sub": "b"})
	if _, err := ParseJWT(key, noExp, clock, true); err == nil {
		t.Error("exp required, none given")
	}
	if _, err := ParseJWT(key, noExp, clock, false); err != nil {
		t.Errorf("exp not required: %v", err)
	}
}
