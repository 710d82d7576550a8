package redact

import "testing"

func TestSecrets(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a secret-long here", "a [redacted] here"}, // the longer one whole
		{"secret and secret", "[redacted] and [redacted]"},
		{"abc stays", "abc stays"}, // under 4 bytes: not a secret
		{"nothing", "nothing"},
	} {
		if got := Secrets(c.in, []string{"secret", "secret-long", "abc", ""}); got != c.want {
			t.Errorf("Secrets(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
