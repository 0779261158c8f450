package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/refreshspec/refreshspec/dialect"
	fbcontainer "github.com/refreshspec/refreshspec/fakebackend/container"
)

// keycloak is an OAuth 2.0 backend as a profile describes it: the token and
// revocation endpoints at a realm's paths, a confidential client with HTTP
// Basic, offline_access for a refresh token.
const keycloak = `
  dialect: oauth2
  refresh: {path: /realms/demo/protocol/openid-connect/token}
  logout: {path: /realms/demo/protocol/openid-connect/revoke}
  me: {path: /realms/demo/protocol/openid-connect/userinfo}
  client_id: app
  client_secret: s3cret
  scope: openid offline_access
`

// probeProfile writes a profile whose target is dialectprobe, a proxy that
// logs in speaking probeSpeaks, while the profile's backend section says
// backendSection.
func probeProfile(t *testing.T, probeSpeaks dialect.Mapping, backendSection string) string {
	t.Helper()
	probe := binary(t, "dialectprobe", "./cmd/refreshspec/testdata/dialectprobe")
	probeSpeaks.ApplyDefaults()
	raw, err := json.Marshal(probeSpeaks)
	if err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf("target:\n  command: %q\n  env:\n    DIALECT_MAPPING_JSON: %q\nbackend:%s", probe, raw, backendSection)
	path := filepath.Join(t.TempDir(), "probe.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func keycloakMapping(t *testing.T) dialect.Mapping {
	t.Helper()
	m, err := dialect.ParseJSON([]byte(`{"dialect":"oauth2","refresh":{"path":"/realms/demo/protocol/openid-connect/token"},` +
		`"logout":{"path":"/realms/demo/protocol/openid-connect/revoke"},"me":{"path":"/realms/demo/protocol/openid-connect/userinfo"},` +
		`"client_id":"app","client_secret":"s3cret","scope":"openid offline_access"}`))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// `refreshspec proxy` starts the fake backend in the profile's dialect,
// local and in its container: a proxy that logs in with an OAuth 2.0
// password grant passes P1 against it. The same proxy against a profile
// that says the backend speaks contract.md §1 cannot log in: the
// pre-flight stops the run with one diagnosis at backend.dialect, the
// dialect being what made the difference.
func TestProxyRunsTheFakeBackendInTheProfilesDialect(t *testing.T) {
	prof := probeProfile(t, keycloakMapping(t), keycloak)
	for _, backend := range []string{"local", "container"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "container" {
				fbcontainer.RequireDocker(t)
			}
			r := runCLI(t, nil, "proxy", "--backend", backend, "--profile", prof, "--focus", "P1")
			if r.code != 0 || !strings.Contains(r.stdout, "6 passed, 0 failed, 0 skipped") {
				t.Fatalf("exit %d, want 0 and P1 passed\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
	mismatch := probeProfile(t, keycloakMapping(t), " {}\n")
	r := runCLI(t, nil, "proxy", "--backend", "local", "--profile", mismatch, "--focus", "P1.1")
	if r.code != 2 || !strings.Contains(r.stderr, "check backend.dialect and backend.login.path: the target called POST /realms/") ||
		!strings.Contains(r.stderr, "(grant_type=password), as the oauth2 dialect does, but backend.dialect is json") {
		t.Fatalf("a probe speaking oauth2 to a json-dialect backend: exit %d, want 2 and the pre-flight's diagnosis\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// `refreshspec fakebackend --profile` serves the profile's dialect, local
// and in its container, to any client speaking it.
func TestFakebackendCommandServesTheProfilesDialect(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "keycloak.yaml")
	if err := os.WriteFile(prof, []byte("backend:"+keycloak), 0o644); err != nil {
		t.Fatal(err)
	}
	m := keycloakMapping(t)
	for _, backend := range []string{"local", "container"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "container" {
				fbcontainer.RequireDocker(t)
			}
			cmd := exec.Command(refreshspec(t), "fakebackend", "--backend", backend, "--profile", prof, "--addr", "127.0.0.1:0", "--control-addr", "127.0.0.1:0")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				_ = cmd.Wait()
			})
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			lines := bufio.NewScanner(stdout)
			var api string
			for api == "" && lines.Scan() {
				if v, ok := strings.CutPrefix(lines.Text(), "api: "); ok {
					api = v
				}
			}
			if api == "" {
				t.Fatal("fakebackend printed no api URL")
			}
			req, err := m.NewLoginRequest(t.Context(), api, "alice@example.com", "correct horse")
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if tok, err := m.ReadTokens(raw); resp.StatusCode != 200 || err != nil || tok.Scope != "openid offline_access" {
				t.Errorf("password grant at the realm's token endpoint: %d %v %s", resp.StatusCode, err, raw)
			}
		})
	}
}
