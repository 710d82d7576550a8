package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/checkoutkit/checkoutkit"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// env is what a subcommand reads from outside: the environment and the
// standard streams.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// usageError is a mistake in the command line: exit 2. top asks for the
// command list to follow the message.
type usageError struct {
	msg string
	top bool
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

const usage = `checkoutkit: run the provider fakes, mint and inspect tokens

Usage:
  checkoutkit fakes [-host 127.0.0.1] [-port 7400] [-only PROVIDER] [-webhook-url URL -webhook-secret S]
  checkoutkit token cartevo|altpay|crovver|appstle [flags]
  checkoutkit decode TOKEN|-
  checkoutkit webhook send -provider P -url URL -secret S [-event TYPE] [-data FILE]
  checkoutkit version

Run "checkoutkit COMMAND -h" for a command's flags and an example.
`

// run runs one command line and returns the exit code. ctx ends the
// long-running fakes command (SIGINT/SIGTERM in main).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "fakes":
		err = runFakes(ctx, rest, e)
	case "token":
		err = runToken(ctx, rest, e)
	case "decode":
		err = runDecode(rest, e)
	case "webhook":
		err = runWebhook(ctx, rest, e)
	case "version":
		fmt.Fprintf(stdout, "checkoutkit %s (%s)\n", checkoutkit.Version, runtime.Version())
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
	default:
		err = &usageError{msg: fmt.Sprintf("unknown command %q", cmd), top: true}
	}
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "checkoutkit: %v\n", err)
		if ue.top {
			fmt.Fprint(stderr, "\n"+usage)
		}
		return exitUsage
	}
	fmt.Fprintf(stderr, "checkoutkit: %v\n", err)
	return exitFail
}

// newFlags is a FlagSet that reports errors instead of exiting, and prints
// its help with an example.
func newFlags(name, synopsis, example string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: checkoutkit %s\n\n", synopsis)
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nExample:\n%s\n", example)
	}
	return fs
}

// parse parses args; a flag error is a usage error, -h is flag.ErrHelp.
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{msg: strings.TrimSpace(err.Error())}
}
