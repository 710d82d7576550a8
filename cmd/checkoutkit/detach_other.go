//go:build !unix

package main

import "syscall"

// detachedAttr is nil where there are no sessions to detach from.
func detachedAttr() *syscall.SysProcAttr { return nil }
