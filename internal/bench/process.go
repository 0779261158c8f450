package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/refreshspec/refreshspec/internal/tail"
)

// process is a binary the bench started: the reference or the fake backend
// as the separate process it runs as in production, whose resident memory
// the bench reads from /proc.
type process struct {
	cmd    *exec.Cmd
	stderr *tail.Buffer
	lines  chan string // stdout, line by line
	done   chan struct{}
	err    error
}

// startProcess starts bin with args and env (added to a minimal
// environment) and waits, at most until ctx ends, for a stdout line that
// ready accepts; it returns what ready extracted.
func startProcess(ctx context.Context, bin string, args, env []string, ready func(line string) (string, bool)) (*process, string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	p := &process{cmd: cmd, stderr: tail.New(8 << 10), lines: make(chan string, 16), done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody reads any more: drop it
			}
		}
		close(p.lines)
	}()
	go func() { p.err = cmd.Wait(); close(p.done) }()
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				<-p.done
				return nil, "", fmt.Errorf("%s exited before it was ready (%v): %s", bin, p.err, p.stderr)
			}
			if v, ok := ready(l); ok {
				return p, v, nil
			}
		case <-ctx.Done():
			p.stop()
			return nil, "", fmt.Errorf("%s not ready: %w", bin, context.Cause(ctx))
		}
	}
}

// stop ends the process with SIGTERM, then SIGKILL if it lingers.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// rssKiB is the process's resident memory (VmRSS) in KiB.
func (p *process) rssKiB() (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("reading VmRSS: %w", err)
	}
	return parseVmRSS(raw)
}

// parseVmRSS reads the VmRSS line of a /proc/<pid>/status file.
func parseVmRSS(status []byte) (int64, error) {
	for _, l := range bytes.Split(status, []byte("\n")) {
		rest, ok := bytes.CutPrefix(l, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmRSS line %q: want \"VmRSS: <n> kB\"", l)
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, errors.New("no VmRSS line in /proc/<pid>/status")
}
