package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's shell lines and each command's help examples run in bash
// as printed, with the checkoutkit built from this tree first on PATH, so
// that no documented line can stop working unnoticed. Lines that cannot run
// inside a test are listed in notRun with the reason, and a stale entry
// fails the test.
var notRun = map[string]string{
	"go test -race ./...": "the suite this test is part of",
	"go install github.com/checkoutkit/checkoutkit/cmd/checkoutkit@latest": "no release on a proxy reachable from here; " +
		"the clone's go install beside it runs, and TestVersionSaysWhereTheBinaryCameFrom covers what each prints",
	"go run ./examples/storefront": "a server that runs until stopped, on a fixed port; its browser test drives it",
	"go test -p 1 -run '^$' -bench . -count 6 ./tokencache/... ./cartevo ./checkoutkitotel": "about 14 minutes of benchmarks",
	"cd benchmarks/anchors && go test -run '^$' -bench . -count 6":                          "about 8 minutes of benchmarks; .ci/run runs that module's quick test",
}

// repoRoot is the module's root, two levels up.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	return root
}

// checkoutkitBin builds this tree's checkoutkit and returns the directory
// that holds it.
func checkoutkitBin(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is needed to run the documented shell lines; .ci/run installs it", tool)
			}
			t.Skipf("%s is not installed; CI runs this test", tool)
		}
	}
	dir := t.TempDir()
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "checkoutkit"), ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return dir
}

// shellEnv is the test's environment without anything that points a
// client somewhere, with the built checkoutkit first on PATH, extra added,
// and the fakes on any free ports (the examples print 7400, which may be
// taken).
func shellEnv(t *testing.T, bin string, extra map[string]string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CARTEVO_") || strings.HasPrefix(k, "CROVVER_") || strings.HasPrefix(k, "APPSTLE_") ||
			strings.HasPrefix(k, "ALTPAY_") || strings.HasPrefix(k, "CHECKOUTKIT_") || k == "PATH" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"CHECKOUTKIT_FAKES_PORT=0", "GOBIN="+bin)
	for k, v := range extra {
		if k == "CHECKOUTKIT_FAKES_PID" { // the in-process fakes' pid is this test's
			continue
		}
		env = append(env, k+"="+v)
	}
	return env
}

// cleanup stops whatever fakes a script started if it fails half way: the
// pid a sourced file or an eval exported, and the shell's own jobs.
const cleanup = `cleanup() {
  if [ -n "${CHECKOUTKIT_FAKES_PID:-}" ]; then kill "$CHECKOUTKIT_FAKES_PID" 2>/dev/null || true; fi
  for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
set -euo pipefail
`

// runScript runs lines in bash in dir and fails the test with the output
// when a line fails.
func runScript(t *testing.T, dir string, env []string, lines []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	script := cleanup + strings.Join(lines, "\n") + "\n"
	if anyContains(lines, "checkoutkit fakes") {
		// Where the fakes listened, for assertFakesStopped.
		script += `echo "fakes-were-at=${CARTEVO_BASE_URL:-}"` + "\n"
	}
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	// A line that leaves a process holding the output open (the old
	// eval "$(checkoutkit fakes &)") fails here instead of hanging.
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "in %s:\n%s\n--- output:\n%s", dir, strings.Join(lines, "\n"), out)
	return string(out)
}

// readmeBlocks are the README's ```sh blocks, each a list of lines.
func readmeBlocks(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "README.md"))
	require.NoError(t, err)
	defer f.Close()
	var blocks [][]string
	var cur []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case !in && line == "```sh":
			in, cur = true, nil
		case in && line == "```":
			in = false
			blocks = append(blocks, cur)
		case in:
			cur = append(cur, line)
		}
	}
	require.NoError(t, sc.Err())
	require.False(t, in, "an unclosed ```sh block")
	return blocks
}

// command is a line without its trailing comment, for notRun.
func command(line string) string {
	if i := strings.Index(line, " #"); i >= 0 && !strings.Contains(line[:i], "'") {
		line = line[:i]
	}
	return strings.TrimSpace(line)
}

// withoutNotRun drops the lines notRun lists, counting each use.
func withoutNotRun(lines []string, used map[string]bool) []string {
	var keep []string
	for _, l := range lines {
		if _, skip := notRun[command(l)]; skip {
			used[command(l)] = true
			continue
		}
		keep = append(keep, l)
	}
	return keep
}

func TestREADMEShellLinesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the quickstart: not with -short")
	}
	bin := checkoutkitBin(t)
	root := repoRoot(t)
	used := map[string]bool{}
	blocks := readmeBlocks(t)
	require.GreaterOrEqual(t, len(blocks), 6, "the README's shell blocks")
	for i, block := range blocks {
		lines := withoutNotRun(block, used)
		if len(lines) == 0 {
			continue
		}
		t.Run(strconv.Itoa(i)+"/"+command(lines[0]), func(t *testing.T) {
			dir := root
			if strings.HasPrefix(command(lines[0]), "go get ") {
				// In an app of one's own, with this tree standing in for the
				// published module and no network.
				dir = t.TempDir()
				runScript(t, dir, shellEnv(t, bin, nil), []string{
					"go mod init example.com/app >/dev/null 2>&1",
					"go mod edit -replace github.com/checkoutkit/checkoutkit=" + root,
				})
				env := append(shellEnv(t, bin, nil), "GOPROXY=off", "GOFLAGS=-mod=mod")
				runScript(t, dir, env, lines)
				mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
				require.NoError(t, err)
				assert.Contains(t, string(mod), "require github.com/checkoutkit/checkoutkit ")
				return
			}
			if anyContains(lines, "-env-file fakes.env") {
				dir = t.TempDir() // fakes.env lands here, not in the tree
			}
			var extra map[string]string
			if (anyContains(lines, "checkoutkit token") || anyContains(lines, "_BASE_URL")) && !anyContains(lines, "checkoutkit fakes") {
				extra, _, _ = startFakes(t, "-port", "0") // the environment checkoutkit fakes exports
			}
			env := shellEnv(t, bin, extra)
			out := runScript(t, dir, env, lines)
			if anyContains(lines, "checkoutkit fakes") {
				assertFakesStopped(t, out)
				assertGone(t, filepath.Join(dir, "fakes.env"))
			}
			if anyContains(lines, "checkoutkit version") {
				assert.Regexp(t, `checkoutkit \d+\.\d+\.\d+ \(`, out)
			}
		})
	}
	for line := range notRun {
		assert.True(t, used[line] || isHelpLine(t, line), "notRun lists %q, which no README block or help shows any more", line)
	}
}

// anyContains reports whether any line contains s.
func anyContains(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// assertFakesStopped checks that the fakes a script started stopped: the
// documented kill line stops them.
func assertFakesStopped(t *testing.T, out string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^fakes-were-at=http://(127\.0\.0\.1:\d+)/`).FindStringSubmatch(out)
	require.NotNil(t, m, "the script's fakes exported CARTEVO_BASE_URL:\n%s", out)
	assert.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", m[1], time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 10*time.Second, 50*time.Millisecond, "the fakes at %s still listen after the documented kill", m[1])
}

// assertGone checks that the fakes removed their env file once killed (a
// kill is asynchronous: the script may end first).
func assertGone(t *testing.T, path string) {
	t.Helper()
	assert.Eventually(t, func() bool {
		_, err := os.Stat(path)
		return os.IsNotExist(err)
	}, 10*time.Second, 20*time.Millisecond, "the fakes removed %s when killed", filepath.Base(path))
}

// helpExamples are the example lines of each command's help, keyed by
// command.
func helpExamples(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, args := range [][]string{{"fakes"}, {"token"}, {"token", "cartevo"}, {"decode"}, {"version"}} {
		code, help, _ := cli(t, nil, "", append(args, "-h")...)
		require.Equal(t, 0, code)
		_, ex, ok := strings.Cut(help, "\nExample:\n")
		require.True(t, ok, "%v -h has an example", args)
		var lines []string
		for _, l := range strings.Split(strings.TrimRight(ex, "\n"), "\n") {
			lines = append(lines, strings.TrimSpace(l))
		}
		out[strings.Join(args, " ")] = lines
	}
	return out
}

func isHelpLine(t *testing.T, line string) bool {
	for _, lines := range helpExamples(t) {
		for _, l := range lines {
			if command(l) == line {
				return true
			}
		}
	}
	return false
}

func TestHelpExamplesRunAsPrinted(t *testing.T) {
	bin := checkoutkitBin(t)
	used := map[string]bool{}
	for name, lines := range helpExamples(t) {
		// A blank line separates examples that run on their own (the fakes'
		// two ways to start, say, on the same ports).
		for i, lines := range paragraphs(lines) {
			t.Run(name+"/"+strconv.Itoa(i), func(t *testing.T) {
				dir := t.TempDir()
				lines := withoutNotRun(lines, used)
				var extra map[string]string
				if !anyContains(lines, "checkoutkit fakes") && (anyContains(lines, "token") || anyContains(lines, "$")) {
					extra, _, _ = startFakes(t, "-port", "0") // the environment checkoutkit fakes exports
				}
				env := shellEnv(t, bin, extra)
				out := runScript(t, dir, env, lines)
				if anyContains(lines, "checkoutkit fakes") {
					assertFakesStopped(t, out)
					assert.Contains(t, out, "provider:  ", "the token line after the fakes start works")
					assertGone(t, filepath.Join(dir, "fakes.env"))
				}
				if strings.HasPrefix(name, "token") {
					assert.NotContains(t, out, "checkoutkit:", "no token example fails on the fakes")
					assert.Equal(t, strings.Count(strings.Join(lines, "\n"), "checkoutkit token")-1, strings.Count(out, "provider:  "),
						"every token line but the one inside curl prints a token")
				}
			})
		}
	}
}

// paragraphs splits lines at blank ones.
func paragraphs(lines []string) [][]string {
	var out [][]string
	var cur []string
	for _, l := range append(lines, "") {
		if l != "" {
			cur = append(cur, l)
			continue
		}
		if len(cur) > 0 {
			out = append(out, cur)
		}
		cur = nil
	}
	return out
}
