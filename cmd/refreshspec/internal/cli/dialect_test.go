package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
	"github.com/refreshspec/refreshspec/profile"
)

// A profile whose backend mapping contradicts itself, or names what the fake
// backend cannot serve, is refused with exit 2 naming the key, by every
// command that reads it, before anything starts or says it does.
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
		if strings.Contains(stderr, "starting") {
			t.Errorf("refreshspec %s said it was starting something before it refused the input:\n%s", strings.Join(c.args, " "), stderr)
		}
	}
}

// Every worked profile of docs/dialects.md loads and is one the fake
// backend serves, and every key of the mapping is documented in
// docs/profiles.md.
func TestDialectDocs(t *testing.T) {
	docs := filepath.Join("..", "..", "..", "..", "docs")
	raw, err := os.ReadFile(filepath.Join(docs, "dialects.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(raw), "```yaml\n")[1:]
	if len(blocks) != 5 {
		t.Fatalf("docs/dialects.md has %d YAML profiles, want 5", len(blocks))
	}
	for _, b := range blocks {
		yaml, _, _ := strings.Cut(b, "```")
		p, err := profile.Parse([]byte(yaml))
		if err != nil {
			t.Errorf("%v in:\n%s", err, yaml)
			continue
		}
		if err := fakebackend.CheckMapping(p.Backend.Mapping); err != nil {
			t.Errorf("the fake backend cannot serve %v:\n%s", err, yaml)
		}
	}
	if p, _ := profile.Parse([]byte(blocks[0][:strings.Index(blocks[0], "```")])); p == nil || p.Backend.Mapping != dialect.Default() {
		t.Error("the spelt-out seed profile is not the default mapping")
	}
	profiles, err := os.ReadFile(filepath.Join(docs, "profiles.md"))
	if err != nil {
		t.Fatal(err)
	}
	var keys func(prefix string, typ reflect.Type)
	keys = func(prefix string, typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[dialect.Endpoint]() {
				keys(prefix+name+".", f.Type)
				continue
			}
			if !strings.Contains(string(profiles), "`"+prefix+name+"`") {
				t.Errorf("docs/profiles.md does not document %s%s", prefix, name)
			}
		}
	}
	keys("backend.", reflect.TypeFor[dialect.Mapping]())
}
