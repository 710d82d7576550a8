package pgtest

import (
	"testing"
)

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
