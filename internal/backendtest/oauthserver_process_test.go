package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/internal/freeport"
)

// oauthServerDir is the folder of the OAuth 2.0 server's module, relative to
// this package's (where go test runs its test binary).
const oauthServerDir = "oauthserver"

// The server's routes (oauthserver/server.go), and the scope without which
// fosite issues no refresh token (its default RefreshTokenScopes).
const (
	oauthTokenPath    = "/oauth2/token"
	oauthRevokePath   = "/oauth2/revoke"
	oauthUserinfoPath = "/userinfo"
	oauthOfflineScope = "offline_access"
)

// The confidential client the profile presents; the server is started with it.
const (
	oauthClientID     = "refreshspec-cli"
	oauthClientSecret = "refreshspec-cli-secret"
)

// oauthAccessTTL is the access tokens' lifetime: short, so that the checks
// that need an access token to expire (B2.9, B2.12) wait for it, as the
// profile's short_access_ttl tells the suite.
const oauthAccessTTL = 3 * time.Second

// oauthUser is a resource owner of the server.
type oauthUser struct {
	email, password, givenName, familyName string
}

var alice = oauthUser{email: "alice@example.com", password: "correct horse", givenName: "Alice", familyName: "Liddell"}

// How long the server may take to write its ready line, and to exit once
// asked to.
const (
	oauthReadyTimeout = 30 * time.Second
	oauthStopTimeout  = 10 * time.Second
)

// binDir is the temporary folder the binaries of this test binary are built
// into, once each; TestMain removes it.
var binDir struct {
	mu   sync.Mutex
	path string
}

func binPath(name string) (string, error) {
	binDir.mu.Lock()
	defer binDir.mu.Unlock()
	if binDir.path == "" {
		dir, err := os.MkdirTemp("", "refreshspec-backendtest-")
		if err != nil {
			return "", err
		}
		binDir.path = dir
	}
	return filepath.Join(binDir.path, name), nil
}

// removeBuiltBinaries removes binDir, if a test built anything into it.
func removeBuiltBinaries() {
	binDir.mu.Lock()
	defer binDir.mu.Unlock()
	if binDir.path != "" {
		if err := os.RemoveAll(binDir.path); err != nil {
			fmt.Fprintf(os.Stderr, "removing the built binaries: %v\n", err)
		}
		binDir.path = ""
	}
}

// goBuild builds pkg in dir ("" for this module) into binDir under name.
func goBuild(dir, name string, env []string, flags []string, pkg string) (string, error) {
	out, err := binPath(name)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		where := dir
		if where == "" {
			where = "."
		}
		return "", fmt.Errorf("go %s (in %s): %v\n%s", strings.Join(args, " "), where, err, msg)
	}
	return out, nil
}

// raceEnabled says whether this test binary was built with -race; the
// server is then built with it too, so that a data race in it (fosite's
// store, the server's own code) fails the test as it did when the server ran
// in the test's process.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// oauthServerBinary builds the OAuth 2.0 server's module, outside any
// workspace: its go.mod is its own.
var oauthServerBinary = sync.OnceValues(func() (string, error) {
	env := []string{"GOWORK=off"}
	var flags []string
	if raceEnabled() {
		flags = append(flags, "-race") // needs cgo, as this test binary did
	} else {
		env = append(env, "CGO_ENABLED=0")
	}
	return goBuild(oauthServerDir, "oauthserver", env, flags, ".")
})

// refreshspecBinary builds the CLI as users install it.
var refreshspecBinary = sync.OnceValues(func() (string, error) {
	return goBuild("", "refreshspec", []string{"CGO_ENABLED=0"}, nil, "github.com/refreshspec/refreshspec/cmd/refreshspec")
})

func refreshspecCLI(t *testing.T) string {
	t.Helper()
	bin, err := refreshspecBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// errPortTaken: another process took the free port before the server did.
var errPortTaken = errors.New("the port was taken before the server listened on it")

// startOAuthServer starts the OAuth 2.0 server on a free loopback port and
// returns its URL once it has said it is ready; the test's cleanup stops it
// with SIGTERM and fails the test unless it exits cleanly (exit status 0: no
// data race either, under -race).
func startOAuthServer(t *testing.T) string {
	t.Helper()
	bin, err := oauthServerBinary()
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; ; attempt++ {
		url, err := startOAuthServerOnce(t, bin)
		if err == nil {
			return url
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			t.Fatal(err)
		}
		t.Logf("starting the OAuth 2.0 server, attempt %d: %v", attempt, err)
	}
}

func startOAuthServerOnce(t *testing.T, bin string) (string, error) {
	port, err := freeport.Loopback()
	if err != nil {
		return "", err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin,
		"-addr", addr,
		"-access-ttl", oauthAccessTTL.String(),
		"-client-id", oauthClientID,
		"-client-secret", oauthClientSecret,
		"-user-email", alice.email,
		"-user-password", alice.password,
		"-user-given-name", alice.givenName,
		"-user-family-name", alice.familyName,
	)
	ready := &readyLine{line: make(chan string, 1)}
	// stderr is read only once the process has exited (Wait has returned).
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = ready, &stderr
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	kill := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	deadline := time.NewTimer(oauthReadyTimeout)
	defer deadline.Stop()
	select {
	case line := <-ready.line:
		if want := "http://" + addr; line != want {
			kill()
			return "", fmt.Errorf("the OAuth 2.0 server's ready line is %q, want %q\n%s", line, want, stderr.String())
		}
		t.Cleanup(func() { stopOAuthServer(t, cmd, exited, &stderr) })
		return line, nil
	case err := <-exited:
		err = fmt.Errorf("the OAuth 2.0 server exited before it was ready (%v):\n%s", err, stderr.String())
		if strings.Contains(stderr.String(), "address already in use") {
			err = fmt.Errorf("%w: %w", errPortTaken, err)
		}
		return "", err
	case <-deadline.C:
		kill()
		return "", fmt.Errorf("the OAuth 2.0 server wrote no ready line within %s:\n%s", oauthReadyTimeout, stderr.String())
	}
}

// stopOAuthServer sends SIGTERM and waits for a clean exit.
func stopOAuthServer(t *testing.T, cmd *exec.Cmd, exited <-chan error, stderr *bytes.Buffer) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM to the OAuth 2.0 server: %v", err)
	}
	deadline := time.NewTimer(oauthStopTimeout)
	defer deadline.Stop()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the OAuth 2.0 server did not exit cleanly on SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-deadline.C:
		_ = cmd.Process.Kill()
		<-exited
		t.Errorf("the OAuth 2.0 server did not exit within %s of SIGTERM; killed\n%s", oauthStopTimeout, stderr.String())
	}
}

// readyLine is the server's stdout: it sends the first line, its URL, on
// line. Only exec's copying goroutine writes to it.
type readyLine struct {
	line chan string // buffered: one line
	buf  []byte
	sent bool
}

func (r *readyLine) Write(p []byte) (int, error) {
	if !r.sent {
		r.buf = append(r.buf, p...)
		if i := bytes.IndexByte(r.buf, '\n'); i >= 0 {
			r.line <- string(r.buf[:i])
			r.sent, r.buf = true, nil
		}
	}
	return len(p), nil
}
