package httpx

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
)

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", "Wed, 21 Oct 2015 07:28:00 GMT", "", "-1", "9999999999999999999999", "1e3"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, now)
		if d < 0 || d > 24*time.Hour && !strings.Contains(s, ",") {
			t.Fatalf("ParseRetryAfter(%q) = %v", s, d)
		}
		if !ok && d != 0 {
			t.Fatalf("not ok but %v", d)
		}
	})
}

func FuzzCleanMessage(f *testing.F) {
	f.Add("Invalid client credentials", "sk_secret_value")
	f.Add("key sk_secret_value\nrejected", "sk_secret_value")
	f.Add(strings.Repeat("é", 500), "abcd")
	f.Fuzz(func(t *testing.T, msg, secret string) {
		out := CleanMessage(msg, []string{secret})
		plain := strings.IndexFunc(secret, unicode.IsControl) < 0 && strings.TrimSpace(secret) == secret
		if len(secret) >= 4 && plain && !strings.Contains("[redacted]…", secret) && strings.Contains(out, secret) {
			t.Fatalf("secret %q survived in %q", secret, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) {
				t.Fatalf("control character in %q", out)
			}
		}
		if len(out) > maxMessage+len("…") {
			t.Fatalf("%d bytes", len(out))
		}
	})
}

func FuzzDecodeJSON(f *testing.F) {
	c, _ := New(Config{Provider: "p", BaseURL: "https://api.example.com"})
	for _, s := range []string{`{"a":1}`, `{"a":`, `<html>`, ``, `[]`, `null`, `{"a":"\u0000"}`} {
		f.Add(s, "application/json")
	}
	f.Add(`{}`, "text/html")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		var v struct {
			A any `json:"a"`
		}
		resp := &Response{Header: http.Header{"Content-Type": {contentType}}, Body: []byte(body), Method: "GET", Path: "/x"}
		if err := c.DecodeJSON(resp, &v); err != nil && len(body) > 20 && strings.Contains(err.Error(), body) {
			t.Fatalf("error quotes the body: %v", err)
		}
	})
}
