package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
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
  checkoutkit fakes [-host 127.0.0.1] [-port 7400] [-only PROVIDER] [-env-file FILE] [-detach] [-allow-origin ORIGIN] [-webhook-url URL -webhook-secret S]
  checkoutkit token cartevo|altpay|crovver|appstle [flags]
  checkoutkit decode TOKEN|-
  checkoutkit webhook send -provider P -url URL -secret S [-event TYPE] [-data FILE]
  checkoutkit version
  checkoutkit help [COMMAND]

Run "checkoutkit help COMMAND" (or "checkoutkit COMMAND -h") for a command's
flags and an example. Exit codes: 0 success, 1 failure (the SDK's error is
printed; a missing variable is named), 2 usage.
`

// run runs one command line and returns the exit code. ctx ends the
// long-running fakes command (SIGINT/SIGTERM in main).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	err := dispatch(ctx, args, e)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "checkoutkit: %s\n", terminalSafe(err.Error()))
		if ue.top {
			fmt.Fprint(stderr, "\n"+usage)
		}
		return exitUsage
	}
	// An error can carry a provider's message: a server that names itself
	// in *_BASE_URL must not steer the terminal either.
	fmt.Fprintf(stderr, "checkoutkit: %s\n", terminalSafe(err.Error()))
	return exitFail
}

// terminalSafe is s on one line with every character a terminal could act
// on, or that reorders text, escaped as decode escapes them.
func terminalSafe(s string) string {
	return strings.ReplaceAll(string(escapeControls([]byte(s))), "\n", `\u000a`)
}

// dispatch runs the command args names.
func dispatch(ctx context.Context, args []string, e env) error {
	switch cmd, rest := args[0], args[1:]; cmd {
	case "fakes":
		return runFakes(ctx, rest, e)
	case "token":
		return runToken(ctx, rest, e)
	case "decode":
		return runDecode(rest, e)
	case "webhook":
		return runWebhook(ctx, rest, e)
	case "version":
		return runVersion(rest, e)
	case "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usage)
		return nil
	case "help":
		// "help COMMAND ..." is "COMMAND ... -h".
		if len(rest) == 0 || rest[0] == "help" {
			fmt.Fprint(e.stdout, usage)
			return nil
		}
		if !slices.Contains([]string{"fakes", "token", "decode", "webhook", "version"}, rest[0]) {
			return &usageError{msg: fmt.Sprintf("help: unknown command %q", rest[0]), top: true}
		}
		return dispatch(ctx, append(slices.Clip(rest), "-h"), e)
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", args[0]), top: true}
}

// newFlags is a FlagSet that reports errors instead of exiting, and prints
// its help with an example.
func newFlags(name, synopsis, example string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run prints a flag error, once
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: checkoutkit %s\n", synopsis)
		if hasFlags(fs) {
			fmt.Fprintf(e.stdout, "\nFlags:\n")
			fs.SetOutput(e.stdout)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
		}
		fmt.Fprintf(e.stdout, "\nExample:\n%s\n", example)
	}
	return fs
}

// hasFlags reports whether fs defines any flag.
func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parse parses args; a flag error is a usage error naming the command, and
// -h prints the command's help on standard output and is flag.ErrHelp.
func parse(fs *flag.FlagSet, args []string) error {
	help := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = help
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		help()
		return err
	}
	return &usageError{msg: fmt.Sprintf("%s: %s (\"checkoutkit %s -h\" lists the flags)", fs.Name(), strings.TrimSpace(err.Error()), fs.Name())}
}
