package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's "Requires Go X or newer" is go.mod's go line: an app on an
// older Go that adds the module gets its go line raised to go.mod's, so a
// README that promises less misleads (issue 24 item 5). Every mention of a
// required Go version in the README agrees.
func TestREADMERequiresTheGoOfGoMod(t *testing.T) {
	root := repoRoot(t)
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)(?:\.(\d+))?\s*$`).FindSubmatch(mod)
	require.NotNil(t, m, "go.mod has a go line")
	want := string(m[1]) + "." + string(m[2])
	if len(m[3]) > 0 && string(m[3]) != "0" {
		want += "." + string(m[3])
	}

	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	claims := regexp.MustCompile(`(?i)requires\s+Go\s+(\d+\.\d+(?:\.\d+)?)\s+or\s+newer`).FindAllSubmatch(readme, -1)
	require.NotEmpty(t, claims, "the README says which Go it requires")
	for _, c := range claims {
		assert.Equal(t, want, string(c[1]), "README says %q; go.mod says go %s", c[0], want)
	}
	assert.Regexp(t, "go\\.mod says `go "+regexp.QuoteMeta(string(m[1])+"."+string(m[2]))+`[.\d]*`+"`", string(readme),
		"the README quotes go.mod's line")
}
