// Package redisserver starts a real Redis for the tests and the bench: the
// redis-server binary of the machine (Debian's redis-server package, which
// scripts/setup-machine installs), as a child process on 127.0.0.1 and a
// free port, with persistence off, stopped when the caller is done.
//
// It is the one place that knows how to start Redis, so that the reference's
// tests of the shared refresh, the proxy suite's P7.4 runs, the CLI's test
// and the bench's row 6 all run against the same engine a deployment uses,
// never an imitation of it.
package redisserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/internal/freeport"
	"github.com/refreshspec/refreshspec/internal/tail"
)

// RequireEnv names the variable that turns a missing redis-server from a
// skip into a failure. CI sets it to 1, so that the Redis tests cannot pass
// by being skipped.
const RequireEnv = "REFRESHSPEC_REQUIRE_REDIS"

// Binary is the program Start runs, looked up on PATH.
const Binary = "redis-server"

// startTimeout bounds the wait for a started server to answer PING.
const startTimeout = 10 * time.Second

// Server is a redis-server this process started.
type Server struct {
	// Addr is its loopback address, "127.0.0.1:PORT".
	Addr string

	mu   sync.Mutex // guards cmd and done across Kill, Restart and Stop
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	dir  string        // its working directory, removed by Stop
	out  *tail.Buffer  // the end of its log, for errors
}

// Available returns nil when redis-server is on PATH, and otherwise why not
// and how to get it.
func Available() error {
	if _, err := exec.LookPath(Binary); err != nil {
		return fmt.Errorf("%s is not installed (apt-get install -y redis-server; make setup does it): %w", Binary, err)
	}
	return nil
}

// Start starts redis-server on 127.0.0.1 and a free port, without
// persistence, and waits until it answers PING. On error nothing is left
// running.
func Start(ctx context.Context) (*Server, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "refreshspec-redis-")
	if err != nil {
		return nil, fmt.Errorf("redisserver: %w", err)
	}
	s := &Server{dir: dir, out: tail.New(16 << 10)}
	// Another process may take the free port between the probe and
	// redis-server's bind: try a few ports before giving up.
	for attempt := 0; ; attempt++ {
		port, err := freeport.Loopback()
		if err == nil {
			s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			err = s.start(ctx)
		}
		if err == nil {
			return s, nil
		}
		if attempt == 2 || ctx.Err() != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

// URL is the server's address as REDIS_URL takes it, database 0.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Kill ends the server at once (SIGKILL), as a crash would: what it held is
// lost, since nothing is persisted. Restart brings it back on the same port.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.killLocked()
}

// Restart starts the server again on its port after Kill, empty.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("redisserver: Restart of a server that still runs")
	}
	return s.startLocked(ctx)
}

// Stop ends the server and removes its directory.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.killLocked()
	return errors.Join(err, os.RemoveAll(s.dir))
}

// Need skips the test when redis-server is missing, with the reason, or
// fails it when RequireEnv is 1: for a test whose code starts Redis itself.
func Need(tb testing.TB) {
	tb.Helper()
	if err := Available(); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatalf("%v; %s=1 requires it", err, RequireEnv)
		}
		tb.Skipf("skipped: %v; set %s=1 to make this a failure", err, RequireEnv)
	}
}

// Require starts a server for one test and stops it at the test's cleanup.
// Without redis-server the test is skipped or fails, as Need says.
func Require(tb testing.TB) *Server {
	tb.Helper()
	Need(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 2*startTimeout)
	defer cancel()
	s, err := Start(ctx)
	if err != nil {
		tb.Fatalf("starting redis-server: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("stopping redis-server: %v", err)
		}
	})
	return s
}

func (s *Server) start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startLocked(ctx)
}

func (s *Server) startLocked(ctx context.Context) error {
	_, port, _ := net.SplitHostPort(s.Addr)
	// --save '' and --appendonly no: nothing is written to disk, so a
	// killed server comes back empty, as a cache that lost its data does.
	cmd := exec.Command(Binary,
		"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--daemonize", "no", "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = s.out, s.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redisserver: starting %s: %w", Binary, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	if err := waitPing(ctx, s.Addr, done); err != nil {
		_ = s.killLocked()
		return fmt.Errorf("redisserver: %s on %s: %w; its log ends:\n%s", Binary, s.Addr, err, strings.TrimSpace(s.out.String()))
	}
	return nil
}

func (s *Server) killLocked() error {
	if s.cmd == nil {
		return nil
	}
	err := syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		err = nil
	}
	<-s.done
	s.cmd, s.done = nil, nil
	if err != nil {
		return fmt.Errorf("redisserver: kill: %w", err)
	}
	return nil
}

// waitPing sends PING (inline command) until the server answers +PONG, it
// exits, or the start timeout passes.
func waitPing(ctx context.Context, addr string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = ping(ctx, addr); last == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited before answering PING")
		case <-ctx.Done():
			return fmt.Errorf("no answer to PING within %s: %v", startTimeout, last)
		case <-tick.C:
		}
	}
}

func ping(ctx context.Context, addr string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 16)
	n, err := conn.Read(buf)
	if err != nil {
		return err
	}
	if got := string(buf[:n]); !strings.HasPrefix(got, "+PONG") {
		return fmt.Errorf("PING answered %q", got)
	}
	return nil
}
