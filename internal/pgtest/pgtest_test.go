package pgtest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if os.Getenv("PGTEST_CHILD") == "1" {
		s, err := Launch()
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(s.Port, s.dir)
		time.Sleep(time.Minute) // killed before this ends
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestStartStopRestart(t *testing.T) {
	s := Start(t)
	db, err := s.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var one int
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1: %v %d", err, one)
	}
	s.Stop()
	if err := db.Ping(); err == nil {
		t.Fatal("answers after Stop")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil {
		t.Fatalf("after Restart: %v", err)
	}
}

// A process that started a server and is killed (SIGKILL: no cleanup
// runs) takes the server with it.
func TestServerDiesWithItsProcess(t *testing.T) {
	Need(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PGTEST_CHILD=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var port int
	var dir string
	if _, err := fmt.Sscan(line, &port, &dir); err != nil || !strings.HasPrefix(dir, os.TempDir()) && !strings.HasPrefix(dir, "/tmp") {
		_ = cmd.Process.Kill()
		t.Fatalf("child said %q", line)
	}
	defer os.RemoveAll(dir)
	addr := fmt.Sprint("127.0.0.1:", port)
	if c, err := net.Dial("tcp", addr); err != nil {
		t.Fatalf("the child's server is not up: %v", err)
	} else {
		c.Close()
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return // gone
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("postgres outlived the process that started it")
		}
	}
}
