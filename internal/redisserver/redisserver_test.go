package redisserver

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A started server answers on loopback; after Kill it does not, and Restart
// brings it back on the same address, empty.
func TestKillAndRestartKeepTheAddress(t *testing.T) {
	s := Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") || s.URL() != "redis://"+s.Addr+"/0" {
		t.Fatalf("Addr %q, URL %q: want a loopback address and its redis:// URL", s.Addr, s.URL())
	}
	if err := ping(ctx, s.Addr); err != nil {
		t.Fatalf("PING after Start: %v", err)
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := ping(ctx, s.Addr); err == nil {
		t.Fatal("the killed server still answers PING")
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ping(ctx, s.Addr); err != nil {
		t.Fatalf("PING after Restart: %v", err)
	}
	if err := s.Restart(ctx); err == nil {
		t.Error("Restart of a running server succeeded")
	}
}

// Stop leaves nothing listening and can be called again (Require's
// cleanup calls it once more).
func TestStopEndsTheServer(t *testing.T) {
	s := Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := ping(ctx, s.Addr); err == nil {
		t.Error("the stopped server still answers PING")
	}
	if err := s.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

func TestAvailableSaysHowToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := Available()
	if err == nil || !strings.Contains(err.Error(), "apt-get install -y redis-server") {
		t.Errorf("Available without redis-server on PATH: %v, want an error saying how to install it", err)
	}
}
