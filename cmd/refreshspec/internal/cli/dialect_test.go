package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A profile whose backend mapping contradicts itself, or names what the fake
// backend cannot serve, is refused with exit 2 naming the key, by every
// command that reads it, before anything starts.
func TestBadBackendMappingsNameTheKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name, yaml string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	shared := write("shared.yaml", "target:\n  command: 'true'\nbackend:\n  refresh: {path: /auth/login}\n")
	nested := write("nested.yaml", "backend:\n  paths: {access_token: data.token, refresh_token: data.token.refresh}\n")
	jsonLogin := write("hybrid.yaml", "target:\n  command: 'true'\nbackend:\n  dialect: oauth2\n  login: {path: /auth/login, body: json}\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"proxy", "--backend", "local", "--profile", shared}, "backend.refresh.path: POST /auth/login is login's route too"},
		{[]string{"backend", "--target-url", "http://127.0.0.1:1", "--profile", nested}, "backend.paths.refresh_token: "},
		{[]string{"fakebackend", "--addr", "127.0.0.1:0", "--control-addr", "127.0.0.1:0", "--profile", nested}, "backend.paths.refresh_token: "},
		// The B suite may check an oauth2 server whose login is JSON; the
		// fake backend serves oauth2 logins only at its token endpoint.
		{[]string{"proxy", "--backend", "local", "--profile", jsonLogin}, "cannot speak the profile's backend dialect: backend.login.path: "},
		{[]string{"fakebackend", "--backend", "container", "--profile", jsonLogin}, "backend.login.path: "},
		{[]string{"fakebackend", "--profile", filepath.Join(dir, "missing.yaml")}, "--profile: profile "},
	} {
		code, _, stderr := run(t, c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("refreshspec %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}
