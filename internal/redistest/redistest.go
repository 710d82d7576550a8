// Package redistest starts throwaway redis-server processes on loopback for
// tests: one standalone server, or a 3-master Redis Cluster. The children
// die with the test binary, even when it is killed (a timeout, a mutation
// run), and are stopped when the test ends.
package redistest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is a redis-server child process on 127.0.0.1.
type Server struct {
	Addr    string
	port    int
	dir     string
	cmd     *exec.Cmd
	t       testing.TB
	cluster bool
}

// need skips the test when a binary is missing, except under CI=true,
// where it fails: CI installs Redis and must run these tests.
func need(t testing.TB, bins ...string) {
	t.Helper()
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not found; CI must install it (see .ci/run)", b)
			}
			t.Skipf("%s not found; install Redis to run the Redis tests", b)
		}
	}
}

// Start starts redis-server on a free loopback port with a temporary
// directory and no persistence, and stops it when the test ends. Without a
// redis-server binary the test is skipped, except under CI=true.
func Start(t testing.TB) *Server {
	t.Helper()
	need(t, "redis-server")
	return start(t, false)
}

func start(t testing.TB, cluster bool) *Server {
	t.Helper()
	port := freePort(t)
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), port: port, dir: t.TempDir(), t: t, cluster: cluster}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *Server) start() {
	s.t.Helper()
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"}
	if s.cluster {
		args = append(args, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(s.dir, "nodes.conf"),
			"--cluster-node-timeout", "1000",
			// Healthy masters keep serving their slots while one is down, as a
			// deployment that wants partial availability configures it; with
			// the default (yes) the whole Cluster refuses every key instead.
			"--cluster-require-full-coverage", "no")
	}
	s.cmd = exec.Command("redis-server", args...)
	dieWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if reply, err := command(s.Addr, "PING"); err == nil && reply == "+PONG" {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server did not come up on %s", s.Addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// command sends one inline command and returns the first reply line.
func command(addr, cmd string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprint(conn, cmd+"\r\n")
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}

// Stop kills the server (as a crash would) and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts the server again on the same port, empty.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// Cluster is a Redis Cluster of masters on loopback, no replicas.
type Cluster struct {
	Masters []*Server
}

// Addrs lists the masters' addresses, for redis.ClusterOptions.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, m := range c.Masters {
		out = append(out, m.Addr)
	}
	return out
}

// StartCluster starts n (at least 3) redis-server nodes with
// --cluster-enabled and joins them with redis-cli --cluster create, each a
// master holding a third of the slots; it returns once every node reports
// cluster_state:ok. Skipped without redis-server and redis-cli, except under
// CI=true.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	need(t, "redis-server", "redis-cli")
	c := &Cluster{}
	for range n {
		c.Masters = append(c.Masters, start(t, true))
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	cmd := exec.Command("redis-cli", args...)
	dieWithParent(cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.await(t, nil, "reach cluster_state:ok", func(m *Server) bool {
		info, err := cluster(m.Addr, "info")
		return err == nil && strings.Contains(info, "cluster_state:ok")
	})
	return c
}

// cluster returns the text of CLUSTER <sub> from the node at addr, with a
// timeout, so that a hung node cannot outlast a caller's deadline.
func cluster(addr, sub string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-cli", "-h", "127.0.0.1", "-p", addr[strings.LastIndexByte(addr, ':')+1:], "cluster", sub).Output()
	return string(bytes.TrimSpace(out)), err
}

// await polls every master but skip (for up to 15 s) until ok holds on it.
func (c *Cluster) await(t testing.TB, skip *Server, what string, ok func(*Server) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for _, m := range c.Masters {
		if m == skip {
			continue
		}
		for !ok(m) {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not %s", m.Addr, what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// AwaitFailed waits until every other master has flagged down as failed
// (the FAIL flag, after --cluster-node-timeout), the state a Cluster settles
// in once a crashed master has been noticed. Without it a test that stops a
// master would pass or fail with the timing of its own rounds.
func (c *Cluster) AwaitFailed(t testing.TB, down *Server) {
	t.Helper()
	c.await(t, down, "flag "+down.Addr+" as failed", func(m *Server) bool { return flaggedFail(m.Addr, down.Addr) })
}

// flaggedFail reports whether the node at addr lists the node at target
// with the fail flag in CLUSTER NODES.
func flaggedFail(addr, target string) bool {
	out, err := cluster(addr, "nodes")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || !strings.HasPrefix(f[1], target+"@") {
			continue
		}
		for _, flag := range strings.Split(f[2], ",") {
			if flag == "fail" {
				return true
			}
		}
	}
	return false
}
