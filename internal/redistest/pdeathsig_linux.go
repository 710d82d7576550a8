package redistest

import (
	"os/exec"
	"syscall"
)

// dieWithParent asks Linux to kill the child when the test binary dies, so
// a killed or timed-out test run never leaves redis-server behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
