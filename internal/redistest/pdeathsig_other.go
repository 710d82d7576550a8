//go:build !linux

package redistest

import "os/exec"

// dieWithParent has no portable equivalent off Linux; t.Cleanup still stops
// the child when the test ends normally.
func dieWithParent(*exec.Cmd) {}
