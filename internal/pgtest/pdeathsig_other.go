//go:build !linux

package pgtest

import "os/exec"

// dieWithParent has no portable equivalent off Linux; Close still stops the
// server when the test ends normally.
func dieWithParent(*exec.Cmd) {}
