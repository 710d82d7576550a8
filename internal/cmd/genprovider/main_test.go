package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The checked-in files are what the templates produce: a file edited by
// hand, or a template changed without go generate, fails here (and so in
// CI). Regenerate with: go generate ./internal/provider/
func TestGeneratedFilesAreCurrent(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	files, err := generate(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(packages)*(len(outputs)+len(fakeOutputs)) {
		t.Fatalf("%d files for %d packages", len(files), len(packages))
	}
	for path, want := range files {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (run go generate ./internal/provider/)", path, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what genprovider writes: run go generate ./internal/provider/", path)
		}
	}
}
