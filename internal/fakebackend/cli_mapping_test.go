package fakebackend_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// runMain runs Main with args until the test ends and returns the API's URL
// it printed.
func runMain(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(bg)
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- fakebackend.Main(ctx, append([]string{"--addr=127.0.0.1:0", "--control-addr=127.0.0.1:0"}, args...),
			func(string) string { return "" }, stdoutW, io.Discard)
		stdoutW.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Main: %v", err)
		}
		_, _ = io.Copy(io.Discard, stdoutR)
	})
	var out string
	buf := make([]byte, 4096)
	for !strings.Contains(out, "control: ") || !strings.HasSuffix(out, "\n") {
		n, err := stdoutR.Read(buf)
		if err != nil {
			t.Fatalf("reading stdout: %v (%q)", err, out)
		}
		out += string(buf[:n])
	}
	return strings.TrimPrefix(strings.Split(out, "\n")[0], "api: ")
}

// --mapping-json (what the container gets) and --mapping make the binary
// speak that dialect.
func TestMainSpeaksTheMapping(t *testing.T) {
	const mapping = `{"dialect":"oauth2","refresh":{"path":"/realms/demo/token"},"client_id":"app","client_secret":"pw","scope":"offline_access"}`
	file := filepath.Join(t.TempDir(), "mapping.json")
	if err := os.WriteFile(file, []byte(mapping), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := dialect.ParseJSON([]byte(mapping))
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	for _, flag := range []string{"--mapping-json=" + mapping, "--mapping=" + file} {
		api := runMain(t, flag)
		req, err := m.NewLoginRequest(bg, api, aliceEmail, alicePassword)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if tok, err := m.ReadTokens(raw); resp.StatusCode != 200 || err != nil || tok.Scope != "offline_access" {
			t.Errorf("%s: password grant at /realms/demo/token: %d %v %s", flag, resp.StatusCode, err, raw)
		}
	}
}

// A mapping the backend cannot serve is a UsageError naming the flag and
// the mapping's key.
func TestMainRejectsBadMappings(t *testing.T) {
	for args, want := range map[string]string{
		`--mapping-json={"refresh":{"path":"/auth/login"}}`:                                "-mapping-json: refresh.path: ",
		`--mapping-json={"dialect":"oauth2","login":{"path":"/auth/login","body":"json"}}`: "-mapping-json: login.path: ",
		`--mapping-json={"dialekt":"json"}`:                                                "-mapping-json: ",
		`--mapping-json=notjson`:                                                           "-mapping-json: ",
		`--mapping=/does/not/exist`:                                                        "-mapping: ",
		`--mapping=/x --mapping-json={}`:                                                   "not both",
	} {
		err := fakebackend.Main(bg, strings.SplitN(args, " ", 2), func(string) string { return "" }, io.Discard, io.Discard)
		var usage *fakebackend.UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want a UsageError with %q", args, err, want)
		}
	}
}

// --rotation serves a provider's rules, over the mapping's; a bad one is a
// UsageError naming the flag and the rotation's key.
func TestMainServesTheRotation(t *testing.T) {
	runMain(t, "--rotation=okta,grace_period=10s", `--mapping-json={"rotation":"auth0"}`)
	for args, want := range map[string]string{
		"--rotation=okta,grace_period=2m": "-rotation: rotation.grace_period: ",
		"--rotation=ping":                 "-rotation: rotation.preset: ",
		"--rotation={\"preset\":1}":       "-rotation: ",
	} {
		err := fakebackend.Main(bg, []string{args}, func(string) string { return "" }, io.Discard, io.Discard)
		var usage *fakebackend.UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want a UsageError with %q", args, err, want)
		}
	}
}
