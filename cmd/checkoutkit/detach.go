package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// detachFakes runs "checkoutkit fakes" again in a background process (the
// same flags; -detach is ignored there) and returns once every fake listens: it prints
// the export lines (the child writes -env-file itself before that), so
// eval "$(checkoutkit fakes -detach)" returns. The child reports on a pipe
// (fd 3, named by CHECKOUTKIT_FAKES_READY_FD) that it closes after the
// export lines or its error; its own stdout is discarded and its request
// log goes to -log.
func detachFakes(args []string, o *fakesOptions, e env) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("-detach: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("-detach: %w", err)
	}
	defer r.Close()
	// The same arguments, -detach too: the child, started with readyFDVar,
	// serves instead of detaching again (a filter on the words would drop a
	// flag's value that reads "detach").
	cmd := exec.Command(exe, append([]string{"fakes"}, args...)...)
	cmd.Env = append(os.Environ(), readyFDVar+"=3", "CHECKOUTKIT_FAKES_PORT="+strconv.Itoa(o.port))
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = detachedAttr()
	if o.log != "" {
		f, err := os.OpenFile(o.log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			w.Close()
			return fmt.Errorf("-log: %w", err)
		}
		defer f.Close()
		cmd.Stderr = f
	}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("-detach: %w", err)
	}
	w.Close() // the child holds the only write end now
	report, _ := io.ReadAll(io.LimitReader(r, 1<<20))
	if !bytes.HasPrefix(report, []byte("# ")) {
		// The child failed and said why (or died without a word).
		werr := cmd.Wait()
		if msg := strings.TrimSpace(string(report)); msg != "" {
			return errors.New(strings.TrimPrefix(msg, "checkoutkit: "))
		}
		return fmt.Errorf("-detach: the background fakes stopped before they listened: %v", werr)
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	fmt.Fprintf(e.stderr, "checkoutkit: the fakes serve in the background (pid %d); kill %d stops them\n", pid, pid)
	if o.envFile != "" {
		return nil // the child wrote them there, as fakes -env-file does
	}
	_, err = e.stdout.Write(report)
	return err
}

// readyPipe is the pipe a detached fakes process reports its start on, or
// nil when this process was not started by -detach.
func readyPipe(e env) (*os.File, error) {
	v := e.getenv(readyFDVar)
	if v == "" {
		return nil, nil
	}
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, usagef("%s=%q: not a file descriptor", readyFDVar, v)
	}
	return os.NewFile(uintptr(fd), "ready"), nil
}
