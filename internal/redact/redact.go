// Package redact replaces secrets in text bound for errors and logs. It is
// shared by the HTTP layer and the SQL store, which must not depend on each
// other.
package redact

import (
	"slices"
	"strings"
)

// Secrets replaces every occurrence of each secret of 4 or more bytes in s
// with "[redacted]", longest first so that a secret containing another is
// replaced whole.
func Secrets(s string, secrets []string) string {
	var found []string
	for _, sec := range secrets {
		if len(sec) >= 4 && strings.Contains(s, sec) {
			found = append(found, sec)
		}
	}
	slices.SortFunc(found, func(a, b string) int { return len(b) - len(a) })
	for _, sec := range found {
		s = strings.ReplaceAll(s, sec, "[redacted]")
	}
	return s
}
