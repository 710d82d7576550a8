package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
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
			fmt.Fprintf(e.stdout, "%s:  %s (not a time)\n", t.name, escapeControls([]byte(t.n.String())))
			continue
		}
		at := time.Unix(int64(secs), 0).UTC()
		fmt.Fprintf(e.stdout, "%s:  %s (%s)\n", t.name, at.Format(time.RFC3339), relative(time.Until(at), t.name == "expires"))
	}
	if c.Exp == nil {
		fmt.Fprintln(e.stdout, "expires:  no exp claim")
	}
	return nil
}

// segment decodes one base64url JSON part of a JWT and indents it, with
// every character that could steer a terminal escaped (see escapeControls).
func segment(s, name string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("not a JWT: the %s is not base64url", name)
	}
	var out bytes.Buffer
	// json.Indent copies trailing white space as it is: a CR there would
	// reach the terminal raw.
	if err := json.Indent(&out, bytes.TrimSpace(b), "  ", "  "); err != nil {
		return nil, fmt.Errorf("not a JWT: the %s is not JSON", name)
	}
	// A JWT's header and claims are JSON objects (RFC 7515, RFC 7519).
	if !bytes.HasPrefix(out.Bytes(), []byte("{")) {
		return nil, fmt.Errorf("not a JWT: the %s is not a JSON object", name)
	}
	return append([]byte("  "), escapeControls(out.Bytes())...), nil
}

// escapeControls replaces, in decoded JSON, every character a terminal
// could act on or that reorders what is shown, with its JSON escape
// \uXXXX (a JSON string keeps its meaning): C0 controls but newline, DEL,
// C1 controls (U+009B is CSI on its own), bidirectional overrides and
// isolates (U+202E), other invisible format characters, the line and
// paragraph separators, and bytes that are not UTF-8 (as U+FFFD).
func escapeControls(b []byte) []byte {
	var out bytes.Buffer
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size == 1:
			out.WriteString(`\ufffd`)
		case r == '\n':
			out.WriteByte('\n')
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029':
			if r > 0xffff {
				// outside the BMP: a JSON surrogate pair
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
			} else {
				fmt.Fprintf(&out, `\u%04x`, r)
			}
		default:
			out.Write(b[:size])
		}
		b = b[size:]
	}
	return out.Bytes()
}

// relative says how far away d is, in words: "in 59 minutes", "3 years
// ago"; an expiry in the past reads "expired … ago".
func relative(d time.Duration, expiry bool) string {
	if d > -time.Second && d < time.Second {
		if expiry {
			return "expires now"
		}
		return "just now"
	}
	past := d < 0
	if past {
		d = -d
	}
	span := humanSpan(d)
	switch {
	case !past:
		return "in " + span
	case expiry:
		return "expired " + span + " ago"
	}
	return span + " ago"
}

// humanSpan is d, rounded to the second, in words, each unit rounded
// down: seconds under a minute, minutes under an hour ("59 minutes"), hours
// and minutes under two days ("1 hour 59 minutes", "36 hours"), then days,
// months and years ("3 years").
func humanSpan(d time.Duration) string {
	const day = 24 * time.Hour
	count := func(n int64, name string) string {
		if n == 1 {
			return "1 " + name
		}
		return strconv.FormatInt(n, 10) + " " + name + "s"
	}
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return count(int64(d/time.Second), "second")
	case d < time.Hour:
		return count(int64(d/time.Minute), "minute")
	case d < 2*day:
		s := count(int64(d/time.Hour), "hour")
		if m := int64(d % time.Hour / time.Minute); m > 0 {
			s += " " + count(m, "minute")
		}
		return s
	case d < 60*day:
		return count(int64(d/day), "day")
	case d < 365*day:
		return count(int64(d/(30*day)), "month")
	}
	return count(int64(d/(365*day)), "year")
}
