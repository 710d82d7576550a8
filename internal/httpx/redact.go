package httpx

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/checkoutkit/checkoutkit/internal/redact"
)

// maxMessage bounds a provider message kept in an APIError.
const maxMessage = 300

// rememberTokens bounds how many recent tokens a Redactor keeps.
const rememberTokens = 256

// jwtLike matches anything shaped like a JWT (three base64url parts, the
// first starting as a JSON header does), so a token a provider echoes back
// is redacted even when this process never saw it.
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

// Redactor scrubs secrets from text bound for errors and logs: a client's
// credentials, every token it has minted or sent (the last 256), and
// anything shaped like a JWT. It is safe for concurrent use.
type Redactor struct {
	static []string

	mu     sync.RWMutex
	recent map[string]struct{}
	order  []string // ring of recent tokens, oldest at next
	next   int
}

// NewRedactor returns a Redactor for these credentials.
func NewRedactor(secrets ...string) *Redactor {
	return &Redactor{static: secrets, recent: map[string]struct{}{}}
}

// Remember adds a token the client minted or sent.
func (r *Redactor) Remember(tok string) {
	if len(tok) < 4 {
		return
	}
	r.mu.RLock()
	_, ok := r.recent[tok]
	r.mu.RUnlock()
	if ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.recent[tok]; ok {
		return
	}
	if len(r.order) < rememberTokens {
		r.order = append(r.order, tok)
	} else {
		delete(r.recent, r.order[r.next])
		r.order[r.next] = tok
		r.next = (r.next + 1) % rememberTokens
	}
	r.recent[tok] = struct{}{}
}

// Clean makes a provider message fit for an error string or a log:
// control characters folded to spaces, every secret and remembered token
// replaced, JWT-shaped strings replaced, length bounded.
func (r *Redactor) Clean(msg string) string {
	if r == nil {
		return CleanMessage(msg, nil)
	}
	r.mu.RLock()
	secrets := make([]string, 0, len(r.static)+len(r.order))
	secrets = append(secrets, r.static...)
	secrets = append(secrets, r.order...)
	r.mu.RUnlock()
	return CleanMessage(msg, secrets)
}

// CleanMessage makes a provider message fit for an error string: control
// characters folded to spaces, secrets and JWT-shaped strings replaced,
// length bounded.
func CleanMessage(msg string, secrets []string) string {
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, msg)
	msg = redact.Secrets(msg, secrets)
	msg = jwtLike.ReplaceAllLiteralString(msg, "[redacted]")
	msg = strings.TrimSpace(msg)
	if len(msg) > maxMessage {
		cut := maxMessage
		for cut > 0 && !isRuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// CheckToken refuses a token that cannot be sent or packed safely: empty,
// not valid UTF-8, or holding whitespace, control characters (a NUL, a
// newline, C1 controls) or invisible format characters (U+202E, which
// reverses the text around it, a zero-width space).
func CheckToken(tok string) error {
	if tok == "" {
		return errEmptyToken
	}
	for i := 0; i < len(tok); {
		if b := tok[i]; b < utf8.RuneSelf { // ASCII, every real token: no table lookups
			if b <= ' ' || b == 0x7f { // C0 controls, space, DEL; no ASCII byte is in Cf
				return errTokenChars
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(tok[i:])
		if (r == utf8.RuneError && n == 1) || unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return errTokenChars
		}
		i += n
	}
	return nil
}

var (
	errEmptyToken = tokenError("empty token")
	errTokenChars = tokenError("token contains whitespace, control or format characters, or invalid UTF-8")
)

type tokenError string

func (e tokenError) Error() string { return string(e) }
