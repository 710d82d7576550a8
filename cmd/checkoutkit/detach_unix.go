//go:build unix

package main

import "syscall"

// detachedAttr puts the background fakes in a session of their own, so a
// Ctrl-C or hang-up meant for the shell's foreground job does not reach
// them; they stop on SIGINT or SIGTERM sent to their pid.
func detachedAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
