package pgtest

import (
	"os/exec"
	"syscall"
)

// dieWithParent asks Linux to kill the child when the process that started
// it dies, so a killed or timed-out test run never leaves postgres behind.
// (The postmaster's own children exit when it dies.)
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
