package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// The test binary doubles as the command: with FAKEBACKEND_BE_MAIN=1 it
// runs main, so the tests see real exit codes and signals.
func TestMain(m *testing.M) {
	if os.Getenv("FAKEBACKEND_BE_MAIN") == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

func command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "FAKEBACKEND_BE_MAIN=1")
	return cmd
}

func exitCodeOf(t *testing.T, err error) int {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	t.Fatalf("running the command: %v", err)
	return -1
}

func TestBadFlagsExit2NamingTheFlag(t *testing.T) {
	for _, c := range []struct{ arg, name string }{
		{"--access-ttl=-1m", "access-ttl"},
		{"--break=nope", "break"},
		{"--log-format=yaml", "log-format"},
		{"--bogus", "bogus"},
		{"extra", "extra"},
		{`--mapping-json={"refresh":{"path":"/auth/login"}}`, "mapping-json: refresh.path"},
		{`--mapping-json={"dialect":"oauth2","refresh":{"body":"json"}}`, "mapping-json: refresh.body"},
	} {
		var stderr bytes.Buffer
		cmd := command(t.Context(), c.arg)
		cmd.Stderr = &stderr
		if code := exitCodeOf(t, cmd.Run()); code != 2 || !strings.Contains(stderr.String(), c.name) {
			t.Errorf("%s: exit %d, stderr %q; want 2 naming %s", c.arg, code, stderr.String(), c.name)
		}
	}
}

func TestHelpExits0(t *testing.T) {
	var stderr bytes.Buffer
	cmd := command(t.Context(), "-h")
	cmd.Stderr = &stderr
	if code := exitCodeOf(t, cmd.Run()); code != 0 || !strings.Contains(stderr.String(), "-allow-remote-control") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestRemoteControlNeedsTheFlag(t *testing.T) {
	var stderr bytes.Buffer
	cmd := command(t.Context(), "--addr=127.0.0.1:0", "--control-addr=0.0.0.0:0")
	cmd.Stderr = &stderr
	if code := exitCodeOf(t, cmd.Run()); code != 1 || !strings.Contains(stderr.String(), "not loopback") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// The binary prints both URLs, serves, and exits 0 on SIGTERM, the way the
// container runs it.
func TestServesAndShutsDownOnSIGTERM(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := command(ctx, "--addr=0.0.0.0:0", "--control-addr=0.0.0.0:0", "--allow-remote-control", "--log-format=json")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	var urls []string
	for len(urls) < 2 && lines.Scan() {
		urls = append(urls, lines.Text())
	}
	if len(urls) != 2 || !strings.HasPrefix(urls[0], "api: http://") || !strings.HasPrefix(urls[1], "control: http://") {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("stdout %q, stderr %s", urls, stderr.String())
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	ctl := control.New(strings.TrimPrefix(urls[1], "control: "), &http.Client{Transport: tr})
	if err := ctl.Healthy(ctx); err != nil {
		t.Error(err)
	}
	resp, err := (&http.Client{Transport: tr}).Post(strings.TrimPrefix(urls[0], "api: ")+"/auth/refresh", "application/json", strings.NewReader(`{"refresh_token":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("refresh of an unknown token: %d", resp.StatusCode)
	}
	tr.CloseIdleConnections()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitCodeOf(t, cmd.Wait()); code != 0 {
		t.Errorf("exit %d after SIGTERM; stderr %s", code, stderr.String())
	}
	for _, want := range []string{`"msg":"refresh attempt"`, `"outcome":"invalid_grant"`, `"msg":"shutting down"`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %s: %s", want, stderr.String())
		}
	}
}
