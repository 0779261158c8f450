package target

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/refreshspec/refreshspec/internal/freeport"
	"github.com/refreshspec/refreshspec/internal/tail"
	"github.com/refreshspec/refreshspec/profile"
)

// The contract's variable names (contract.md §2), the keys of
// ProcessOptions.Env, Process.Env and Restart; BACKEND_TIMEOUT is the
// suite's own addition, so that the timeout scenario (P6.2) knows how long
// the target waits for the backend.
const (
	EnvBackendURL     = "BACKEND_URL"
	EnvPort           = "PORT"
	EnvSessionSecret  = "SESSION_SECRET"
	EnvCookieSecure   = "COOKIE_SECURE"
	EnvBackendTimeout = "BACKEND_TIMEOUT"
)

// How long Stop waits after SIGTERM before SIGKILL, and how much of the
// target's output is kept for error messages.
const (
	stopGrace    = 5 * time.Second
	outputKeep   = 64 << 10
	outputLines  = 20
	readyPolling = 25 * time.Millisecond
)

// ProcessOptions say how to start a target as a process.
type ProcessOptions struct {
	// Command is run with `sh -c`, in its own process group so that Stop
	// ends whatever it starts.
	Command string
	// Dir is the command's working directory; empty means the current one.
	Dir string
	// Env holds the variables of contract.md §2 by the contract's names
	// (BACKEND_URL, PORT, SESSION_SECRET, COOKIE_SECURE, BACKEND_TIMEOUT)
	// plus any others (a profile's target.env), passed as they are. Defaults:
	// PORT a free loopback port, SESSION_SECRET a random 48-character secret,
	// COOKIE_SECURE=false (the suite talks plain http on loopback),
	// BACKEND_TIMEOUT the default profile's backend timeout.
	Env map[string]string
	// EnvNames renames the contract's variables for a target that reads others.
	EnvNames profile.EnvNames
	// ReadyPath is requested until it answers below 500 (default "/").
	ReadyPath string
	// StartTimeout bounds the wait for ReadyPath (default 60 s).
	StartTimeout time.Duration
	// Output receives the target's stdout and stderr as well, if set.
	Output io.Writer
}

// Process is a target the suite started as a process. It listens on the same
// port across restarts, so its URL (and the cookies scoped to it) stays the same.
type Process struct {
	opts ProcessOptions
	out  *tail.Buffer
	// transcript is all of its output, across restarts (P8.10).
	transcript Transcript

	mu   sync.Mutex
	env  map[string]string // by the contract's names
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd exits
	err  error         // cmd's exit, once done is closed
}

var _ Target = (*Process)(nil)

// StartProcess starts opts.Command and waits until it answers on
// opts.ReadyPath. On error nothing is left running, and the error carries
// the last lines of the target's output.
func StartProcess(ctx context.Context, opts ProcessOptions) (*Process, error) {
	if strings.TrimSpace(opts.Command) == "" {
		return nil, errors.New("target process: no command")
	}
	if opts.ReadyPath == "" {
		opts.ReadyPath = "/"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 60 * time.Second
	}
	env := maps.Clone(opts.Env)
	if env == nil {
		env = map[string]string{}
	}
	if env[EnvPort] == "" {
		port, err := freeport.Loopback()
		if err != nil {
			return nil, fmt.Errorf("target process: %w", err)
		}
		env[EnvPort] = strconv.Itoa(port)
	}
	if env[EnvSessionSecret] == "" {
		env[EnvSessionSecret] = RandomSecret()
	}
	if env[EnvCookieSecure] == "" {
		env[EnvCookieSecure] = "false"
	}
	if env[EnvBackendTimeout] == "" {
		env[EnvBackendTimeout] = profile.Default().Target.BackendTimeout.Std().String()
	}
	p := &Process{opts: opts, out: tail.New(outputKeep), env: env}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.startLocked(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// RandomSecret is a random SESSION_SECRET of 48 characters.
func RandomSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// URL is the target's base URL on this machine.
func (p *Process) URL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return "http://127.0.0.1:" + p.env[EnvPort]
}

// Env returns the contract's variables (and the others given) the target
// runs with now.
func (p *Process) Env() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.env)
}

// Output is what the target wrote lately (the last 64 KiB).
func (p *Process) Output() string { return p.out.String() }

// Transcript is everything the process wrote to its stdout and stderr
// while the suite ran it, across restarts.
func (p *Process) Transcript() *Transcript { return &p.transcript }

// Restart stops the target and starts it again on the same port with env's
// variables changed; the others keep their values.
func (p *Process) Restart(ctx context.Context, env map[string]string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.stopLocked(); err != nil {
		return fmt.Errorf("target process: restart with %s changed: %w", changed(env), err)
	}
	maps.Copy(p.env, env)
	if err := p.startLocked(ctx); err != nil {
		return fmt.Errorf("target process: restart with %s changed: %w", changed(env), err)
	}
	return nil
}

// Stop ends the target's whole process group: SIGTERM, then SIGKILL if it
// is still there after a few seconds. Stopping a stopped target is a no-op.
func (p *Process) Stop(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopLocked()
}

func (p *Process) environ() []string {
	environ := os.Environ()
	for k, v := range environment(p.env, p.opts.EnvNames) {
		environ = append(environ, k+"="+v)
	}
	return environ
}

func (p *Process) startLocked(ctx context.Context) error {
	cmd := exec.Command("sh", "-c", p.opts.Command)
	cmd.Dir = p.opts.Dir
	cmd.Env = p.environ()
	var w io.Writer = io.MultiWriter(p.out, &p.transcript)
	if p.opts.Output != nil {
		w = io.MultiWriter(p.out, &p.transcript, p.opts.Output)
	}
	cmd.Stdout, cmd.Stderr = w, w
	inOwnGroup(cmd)
	// Output copying must not outlive the process by much, even when a
	// grandchild keeps the pipe open.
	cmd.WaitDelay = stopGrace
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("target process: starting %q: %w", p.opts.Command, err)
	}
	done := make(chan struct{})
	p.cmd, p.done = cmd, done
	go func() {
		err := cmd.Wait()
		p.err = err
		close(done)
	}()
	if err := p.waitReady(ctx); err != nil {
		_ = p.stopLocked()
		return err
	}
	return nil
}

// waitReady polls ReadyPath until it answers below 500, the process exits,
// or StartTimeout passes.
func (p *Process) waitReady(parent context.Context) error {
	began := time.Now()
	ctx, cancel := context.WithTimeout(parent, p.opts.StartTimeout)
	defer cancel()
	url := "http://127.0.0.1:" + p.env[EnvPort] + p.opts.ReadyPath
	client := &http.Client{
		Timeout:       time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(readyPolling)
	defer tick.Stop()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("target process: %w", err)
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
			last = fmt.Errorf("GET %s answered %d", p.opts.ReadyPath, resp.StatusCode)
		} else {
			last = err
		}
		select {
		case <-p.done:
			return fmt.Errorf("target process: %q exited before it answered GET %s (%v); its last output:\n%s",
				p.opts.Command, p.opts.ReadyPath, p.err, indentedLines(p.out, outputLines))
		case <-ctx.Done():
			return newNotReady(parent, p.opts.StartTimeout, began, fmt.Sprintf("target process: %q did not answer GET %s %s (last: %v); its last output:\n%s",
				p.opts.Command, p.opts.ReadyPath, ReadyBound(parent, p.opts.StartTimeout), last, indentedLines(p.out, outputLines)), nil)
		case <-tick.C:
		}
	}
}

func (p *Process) stopLocked() error {
	if p.cmd == nil {
		return nil
	}
	defer func() { p.cmd = nil }()
	select {
	case <-p.done:
		return nil
	default:
	}
	pgid := p.cmd.Process.Pid
	terminateGroup(p.cmd)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
	}
	killGroup(p.cmd)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
		return fmt.Errorf("target process: %q (pid %d) did not exit after being killed", p.opts.Command, pgid)
	}
}

// indentedLines is the end of a target's output, indented for an error message.
func indentedLines(out *tail.Buffer, n int) string {
	return "  " + strings.Join(out.LastLines(n), "\n  ")
}
