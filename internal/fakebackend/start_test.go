package fakebackend_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

func TestStartRefusesARemoteControlAddress(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		_, err := fakebackend.Start(bg, fakebackend.Config{}, fakebackend.StartOptions{ControlAddr: addr})
		if err == nil || !strings.Contains(err.Error(), "AllowRemoteControl") {
			t.Errorf("control on %s: err = %v, want a refusal", addr, err)
		}
	}
}

func TestStartAllowsARemoteControlAddressWhenAsked(t *testing.T) {
	run, err := fakebackend.Start(bg, fakebackend.Config{}, fakebackend.StartOptions{APIAddr: "0.0.0.0:0", ControlAddr: "0.0.0.0:0", AllowRemoteControl: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := run.Close(bg); err != nil {
			t.Error(err)
		}
	}()
	// The URLs are usable from this machine even though the listeners take every interface.
	if !strings.HasPrefix(run.URL, "http://127.0.0.1:") || !strings.HasPrefix(run.ControlURL, "http://127.0.0.1:") {
		t.Errorf("URLs %s %s", run.URL, run.ControlURL)
	}
	if err := run.Control.Healthy(bg); err != nil {
		t.Fatal(err)
	}
}

func TestStartServesBothListenersAndLocalhostIsLoopback(t *testing.T) {
	run, err := fakebackend.Start(bg, fakebackend.Config{}, fakebackend.StartOptions{ControlAddr: "localhost:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close(bg)
	if run.URL == run.ControlURL {
		t.Fatal("one listener for both")
	}
	// The control API is not on the API listener, nor the other way round.
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	for _, u := range []string{run.URL + control.PathHealth, run.ControlURL + "/auth/login"} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", u, resp.StatusCode)
		}
	}
}

func TestStartReportsABusyAddress(t *testing.T) {
	run, err := fakebackend.Start(bg, fakebackend.Config{}, fakebackend.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close(bg)
	busy := strings.TrimPrefix(run.URL, "http://")
	if _, err := fakebackend.Start(bg, fakebackend.Config{}, fakebackend.StartOptions{APIAddr: busy}); err == nil {
		t.Error("a second backend on the same address started")
	}
	if _, err := fakebackend.Start(bg, fakebackend.Config{}, fakebackend.StartOptions{ControlAddr: busy}); err == nil {
		t.Error("a second control API on the same address started")
	}
}

func TestReadUsers(t *testing.T) {
	users, err := fakebackend.ReadUsers(strings.NewReader(`[{"email":"a@x","password":"p","firstName":"A"},{"id":"b","email":"b@x","password":"q"}]`))
	if err != nil || len(users) != 2 || users[0].ID != "u-1" || users[1].ID != "b" || users[0].FirstName != "A" {
		t.Fatalf("ReadUsers = %+v, %v", users, err)
	}
	for _, bad := range []string{`[]`, `{}`, `[{"email":"a@x"}]`, `[{"password":"p"}]`, `[{"email":"a@x","password":"p"},{"email":"A@x","password":"p"}]`, `[{"email":"a@x","password":"p","age":3}]`} {
		if _, err := fakebackend.ReadUsers(strings.NewReader(bad)); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}

func TestMainRejectsBadFlagsNamingThem(t *testing.T) {
	dir := t.TempDir()
	badUsers := filepath.Join(dir, "users.json")
	if err := os.WriteFile(badUsers, []byte(`[{"email":""}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	for args, name := range map[string]string{
		"--access-ttl=-1s":            "access-ttl",
		"--access-ttl=soon":           "access-ttl",
		"--refresh-ttl=0":             "refresh-ttl",
		"--grace-window=-1s":          "grace-window",
		"--rate-limit-per-family=0":   "rate-limit-per-family",
		"--rate-limit-per-address=-3": "rate-limit-per-address",
		"--break=nope":                "break",
		"--log-format=xml":            "log-format",
		"--users=" + badUsers:         "users",
		"--users=/does/not/exist":     "users",
		"--no-such-flag":              "no-such-flag",
	} {
		var stderr bytes.Buffer
		err := fakebackend.Main(bg, strings.Fields(args), func(string) string { return "" }, io.Discard, &stderr)
		var usage *fakebackend.UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error()+stderr.String(), name) {
			t.Errorf("%s: err = %v, want a UsageError naming %s", args, err, name)
		}
	}
	if err := fakebackend.Main(bg, []string{"-h"}, func(string) string { return "" }, io.Discard, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	if err := fakebackend.Main(bg, nil, func(string) string { return "loud" }, io.Discard, io.Discard); err == nil {
		t.Error("a bad LOG_LEVEL was accepted")
	}
}

// Main prints both URLs, serves with the flags' settings, and shuts down
// when its context ends.
func TestMainServesUntilCancelled(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users.json")
	if err := os.WriteFile(users, []byte(`[{"email":"bob@example.com","password":"pw","firstName":"Bob"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	stdoutR, stdoutW := io.Pipe()
	stderr := newLockedBuffer()
	done := make(chan error, 1)
	go func() {
		done <- fakebackend.Main(ctx, []string{
			"--addr=127.0.0.1:0", "--control-addr=127.0.0.1:0", "--access-ttl=2m", "--grace-window=3s",
			"--no-rate-limit", "--users=" + users, "--break=no-cache-control", "--log-format=json",
		}, func(string) string { return "debug" }, stdoutW, stderr)
		stdoutW.Close()
	}()
	lines := make([]string, 2)
	buf := make([]byte, 4096)
	var out string
	for !strings.Contains(out, "control: ") || !strings.HasSuffix(out, "\n") {
		n, err := stdoutR.Read(buf)
		if err != nil {
			t.Fatalf("reading stdout: %v (%q)", err, out)
		}
		out += string(buf[:n])
	}
	copy(lines, strings.Split(strings.TrimSpace(out), "\n"))
	if !strings.HasPrefix(lines[0], "api: http://127.0.0.1:") || !strings.HasPrefix(lines[1], "control: http://127.0.0.1:") {
		t.Fatalf("stdout = %q", out)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	ctl := control.New(strings.TrimPrefix(lines[1], "control: "), &http.Client{Transport: tr})
	s, err := ctl.Settings(bg)
	if err != nil {
		t.Fatal(err)
	}
	if s.AccessTTL.Std() != 2*time.Minute || s.GraceWindow.Std() != 3*time.Second || s.RateLimit.Enabled {
		t.Errorf("settings from flags: %+v", s)
	}
	if breaks, err := fakebackend.Breaks(bg, ctl); err != nil || len(breaks) != 1 {
		t.Errorf("breaks from flags: %v (%v)", breaks, err)
	}
	resp, err := (&http.Client{Transport: tr}).Post(strings.TrimPrefix(lines[0], "api: ")+"/auth/login", "application/json",
		strings.NewReader(`{"email":"bob@example.com","password":"pw"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("login as the file's user: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Main: %v", err)
	}
	if !strings.Contains(stderr.String(), `"msg":"fake backend listening"`) || !strings.Contains(stderr.String(), `"msg":"request"`) {
		t.Errorf("stderr: %s", stderr.String())
	}
	_, _ = io.Copy(io.Discard, stdoutR)
}
