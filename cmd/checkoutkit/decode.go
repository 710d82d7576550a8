package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

func runDecode(args []string, e env) error {
	fs := newFlags("decode", "decode TOKEN|-", `  checkoutkit decode eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDB9.c2ln
  checkoutkit token cartevo -show | checkoutkit decode -`, e)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("decode takes one token, or - to read it from standard input")
	}
	raw := fs.Arg(0)
	if raw == "-" {
		b, err := io.ReadAll(io.LimitReader(e.stdin, 1<<20))
		if err != nil {
			return err
		}
		raw = string(b)
	}
	raw = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(raw), "Bearer "))
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT: want three dot-separated parts")
	}
	header, err := segment(parts[0], "header")
	if err != nil {
		return err
	}
	claims, err := segment(parts[1], "claims")
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "NOT VERIFIED: the signature was not checked; do not trust these claims.")
	fmt.Fprintf(e.stdout, "header:\n%s\nclaims:\n%s\n", header, claims)
	var c struct {
		Exp *json.Number `json:"exp"`
		Iat *json.Number `json:"iat"`
	}
	d := json.NewDecoder(bytes.NewReader(claims))
	d.UseNumber()
	_ = d.Decode(&c)
	for _, t := range []struct {
		name string
		n    *json.Number
	}{{"issued", c.Iat}, {"expires", c.Exp}} {
		if t.n == nil {
			continue
		}
		secs, err := t.n.Float64()
		if err != nil || secs <= 0 || secs > 1e11 {
			fmt.Fprintf(e.stdout, "%s:  %s (not a time)\n", t.name, t.n)
			continue
		}
		at := time.Unix(int64(secs), 0).UTC()
		fmt.Fprintf(e.stdout, "%s:  %s (%s)\n", t.name, at.Format(time.RFC3339), relative(time.Until(at)))
	}
	if c.Exp == nil {
		fmt.Fprintln(e.stdout, "expires:  no exp claim")
	}
	return nil
}

// segment decodes one base64url JSON part of a JWT and indents it.
func segment(s, name string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("not a JWT: the %s is not base64url", name)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "  ", "  "); err != nil {
		return nil, fmt.Errorf("not a JWT: the %s is not JSON", name)
	}
	return append([]byte("  "), out.Bytes()...), nil
}

func relative(d time.Duration) string {
	d = d.Round(time.Second)
	if d < 0 {
		return "expired " + (-d).String() + " ago"
	}
	return "in " + d.String()
}
