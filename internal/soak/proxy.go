package soak

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/internal/reference"
)

// ProxyEnv is what a proxy under soak is started with.
type ProxyEnv struct {
	BackendURL     string
	Secret         string
	BackendTimeout time.Duration
	// Logs receives the proxy's log; the soak scans it for tokens.
	Logs io.Writer
}

// Proxy is a running proxy under soak.
type Proxy struct {
	URL string
	// PID is the process whose memory the report shows; Separate says it
	// is the proxy's own process rather than the soak's.
	PID      int
	Separate bool
	Stop     func(context.Context) error
}

// ProxyStarter starts the proxy under soak.
type ProxyStarter func(ctx context.Context, env ProxyEnv) (*Proxy, error)

// InProcess runs reference.NewServer in this process on a loopback port.
func InProcess() ProxyStarter {
	return func(ctx context.Context, env ProxyEnv) (*Proxy, error) {
		srv, err := reference.NewServer(reference.Config{
			BackendURL:     env.BackendURL,
			Secrets:        []string{env.Secret},
			BackendTimeout: env.BackendTimeout,
			Logger:         slog.New(slog.NewJSONHandler(env.Logs, nil)),
		})
		if err != nil {
			return nil, err
		}
		url, stop, err := serveLoopback(srv, env.BackendTimeout)
		if err != nil {
			srv.Close()
			return nil, err
		}
		return &Proxy{URL: url, PID: os.Getpid(), Stop: func(ctx context.Context) error {
			err := stop(ctx)
			srv.Close()
			return err
		}}, nil
	}
}

// serveLoopback serves h on a free loopback port until stop.
func serveLoopback(h http.Handler, backendTimeout time.Duration) (url string, stop func(context.Context) error, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listening: %w", err)
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      3*backendTimeout + 10*time.Second,
		ErrorLog:          slog.NewLogLogger(slog.NewTextHandler(io.Discard, nil), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	return "http://" + ln.Addr().String(), func(ctx context.Context) error {
		err := hs.Shutdown(ctx)
		if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
		return err
	}, nil
}

// EnvChild names the environment variable that makes a soak binary serve
// the reference proxy instead of soaking (see ServeReference).
const EnvChild = "REFRESHSOAK_CHILD"

// Subprocess starts the proxy as a separate process: command (such as the
// soak binary itself) with EnvChild=reference and the reference's variables
// (BACKEND_URL, SESSION_SECRET, COOKIE_SECURE=false, BACKEND_TIMEOUT) in its
// environment. It must print its URL on the first line of stdout and stop
// when its stdin closes, as ServeReference does.
func Subprocess(command ...string) ProxyStarter {
	return func(ctx context.Context, env ProxyEnv) (*Proxy, error) {
		cmd := exec.Command(command[0], command[1:]...)
		cmd.Env = append(os.Environ(),
			EnvChild+"=reference",
			reference.EnvBackendURL+"="+env.BackendURL,
			reference.EnvSessionSecret+"="+env.Secret,
			reference.EnvCookieSecure+"=false",
			reference.EnvBackendTimeout+"="+env.BackendTimeout.String(),
		)
		cmd.Stderr = env.Logs
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("starting the proxy: %w", err)
		}
		exited := make(chan error, 1)
		lines := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			if sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
			_, _ = io.Copy(io.Discard, stdout)
			exited <- cmd.Wait()
		}()
		stop := func(ctx context.Context) error {
			_ = stdin.Close() // the child's signal to shut down
			select {
			case err := <-exited:
				return err
			case <-ctx.Done():
				_ = cmd.Process.Kill() // the one process this soak started
				<-exited
				return fmt.Errorf("the proxy (pid %d) did not stop: %w", cmd.Process.Pid, ctx.Err())
			}
		}
		var first string
		select {
		case first = <-lines:
		case <-ctx.Done():
		case <-time.After(30 * time.Second):
		}
		url := regexp.MustCompile(`http://\S+`).FindString(first)
		if url == "" {
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return nil, fmt.Errorf("the proxy printed no URL (first line %q): %v", first, stop(stopCtx))
		}
		return &Proxy{URL: url, PID: cmd.Process.Pid, Separate: true, Stop: stop}, nil
	}
}

// ServeReference is the child side of Subprocess: it reads the reference's
// variables through getenv, serves reference.NewServer on a free loopback
// port (never every interface), prints the URL on stdout, and stops
// gracefully when ctx ends or stdin closes. Logs (JSON) go to stderr.
func ServeReference(ctx context.Context, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := reference.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(stderr, nil))
	srv, err := reference.NewServer(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	url, stop, err := serveLoopback(srv, cfg.BackendTimeout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reference proxy listening on %s pid %s\n", url, strconv.Itoa(os.Getpid()))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		cancel()
	}()
	<-ctx.Done()
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelShutdown()
	return stop(shutdownCtx)
}

// rss reads the resident set size and its peak of process pid, in KiB.
func rss(pid int) (now, peak int64) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1, -1
	}
	now, peak = -1, -1
	for _, line := range strings.Split(string(raw), "\n") {
		field, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch field {
		case "VmRSS":
			now = kib
		case "VmHWM":
			peak = kib
		}
	}
	return now, peak
}
