package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
)

func TestUnknownNestedKeyIsNamedInFull(t *testing.T) {
	for raw, want := range map[string]string{
		"taget: {}\n": `unknown key "taget"`,
		"proxy:\n  login_fields:\n    user: login\n":                        `unknown key "proxy.login_fields.user"`,
		"proxy:\n  csrf:\n    source: input:_csrf\n    sent: field:_csrf\n": `unknown key "proxy.csrf.sent"`,
		"target:\n  env_names:\n    secret: X\n":                            `unknown key "target.env_names.secret"`,
		"accept:\n  - id: P8.3\n    reason: x\n  - idd: P1.1\n":             `unknown key "accept[1].idd"`,
	} {
		_, err := Parse([]byte(raw))
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) = %v, want %s", raw, err, want)
		}
	}
	// A map's keys are the user's own: any name goes.
	if _, err := Parse([]byte("target:\n  env:\n    ANYTHING: x\n")); err != nil {
		t.Errorf("target.env with a key of its own: %v", err)
	}
}

func TestSuiteKeysDefaultToTheReferencesModel(t *testing.T) {
	p := Default()
	if p.Proxy.Session != SessionSealed || p.Target.ForwardedProto != ForwardedHTTPS || p.Target.BackendTimeoutFormat != TimeoutGo {
		t.Errorf("defaults: session %q, forwarded_proto %q, backend_timeout_format %q", p.Proxy.Session, p.Target.ForwardedProto, p.Target.BackendTimeoutFormat)
	}
	if p.Proxy.CSRF.Enabled() || p.Target.SessionSecretless() {
		t.Errorf("defaults: csrf %+v, session_secret %q", p.Proxy.CSRF, p.Target.EnvNames.SessionSecret)
	}
}

func TestBackendTimeoutIsWrittenAsTheTargetReadsIt(t *testing.T) {
	for _, c := range []struct{ format, timeout, want string }{
		{"go", "2s", "2s"}, {"go", "1500ms", "1.5s"}, {"seconds", "2s", "2"}, {"seconds", "1m", "60"}, {"ms", "2s", "2000"}, {"ms", "1500ms", "1500"},
	} {
		p, err := Parse([]byte("target:\n  backend_timeout: " + c.timeout + "\n  backend_timeout_format: " + c.format + "\n"))
		if err != nil {
			t.Errorf("%s %s: %v", c.format, c.timeout, err)
			continue
		}
		if got := p.Target.BackendTimeoutValue(); got != c.want {
			t.Errorf("%s %s: BACKEND_TIMEOUT=%q, want %q", c.format, c.timeout, got, c.want)
		}
	}
	if got := Default().Target.BackendTimeoutValue(); got != "2s" {
		t.Errorf("default BACKEND_TIMEOUT=%q, want 2s", got)
	}
}

func TestSuiteKeysAreChecked(t *testing.T) {
	for raw, want := range map[string]string{
		"proxy: {session: redis}\n":                                            "proxy.session",
		"proxy: {csrf: {source: input:_csrf}}\n":                               "proxy.csrf: give both",
		"proxy: {csrf: {source: form:_csrf, send: field:_csrf}}\n":             "proxy.csrf.source",
		"proxy: {csrf: {source: 'input:', send: field:_csrf}}\n":               "proxy.csrf.source",
		"proxy: {csrf: {source: cookie:csrftoken, send: body:_csrf}}\n":        "proxy.csrf.send",
		"target: {forwarded_proto: http}\n":                                    "target.forwarded_proto",
		"target: {backend_timeout_format: minutes}\n":                          "target.backend_timeout_format",
		"target: {backend_timeout: 1500ms, backend_timeout_format: seconds}\n": "whole number of seconds",
		"target: {backend_timeout: -1s}\n":                                     "target.backend_timeout",
		"target: {env_names: {port: none}}\n":                                  "target.env_names.port",
		"accept: [{id: P9.9, reason: x}]\n":                                    "accept[0].id",
		"accept: [{id: P8.3}]\n":                                               "accept[0].reason",
		"accept: [{id: P8.3, reason: a}, {id: P8.3, reason: b}]\n":             "accept[1].id",
	} {
		_, err := Parse([]byte(raw))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error naming %s", raw, err, want)
		}
	}
	p, err := Parse([]byte("proxy:\n  session: server\n  csrf: {source: 'cookie:XSRF-TOKEN', send: 'header:X-XSRF-TOKEN'}\ntarget:\n  env_names: {session_secret: none}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if k, n := p.Proxy.CSRF.From(); k != CSRFCookie || n != "XSRF-TOKEN" {
		t.Errorf("csrf source = %s %s", k, n)
	}
	if k, n := p.Proxy.CSRF.To(); k != CSRFHeader || n != "X-XSRF-TOKEN" {
		t.Errorf("csrf send = %s %s", k, n)
	}
	if !p.Target.SessionSecretless() || p.Proxy.Session != SessionServer {
		t.Errorf("session_secret none, session server: %+v", p)
	}
}

func TestLoadAccept(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "accept.yaml")
	if err := os.WriteFile(good, []byte("- id: P8.3\n  reason: MemoryStore loses sessions on a restart\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	list, err := LoadAccept(good)
	if err != nil || len(list) != 1 || list[0].ID != "P8.3" {
		t.Fatalf("LoadAccept = %v, %v", list, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("- id: P8.3\n  why: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAccept(bad); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "why") {
		t.Errorf("LoadAccept(bad) = %v, want an error naming the file and the key", err)
	}
	if _, err := LoadAccept(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("LoadAccept of a missing file succeeded")
	}
	// Every error is in the file's terms: the file, the entry as the
	// profile's accept key names it, and what the file should hold; never
	// a Go type.
	for raw, want := range map[string]string{
		"P8.3: {reason: x}\n":                                "accept: want a list of {id, reason}, got a map",
		"- P8.3\n":                                           `accept[0]: want {id, reason}, got the string "P8.3"`,
		"- {id: P8.3, reason: x, extra: 1}\n":                `unknown key "accept[0].extra"`,
		"- {id: [P8.3], reason: x}\n":                        "accept[0].id: want a string, got a list",
		"- {id: P8.3, reason: a}\n- {id: P8.3, reason: b}\n": "accept[1].id: P8.3 is listed twice",
		"- {id: P8.3}\n":                                     "accept[0].reason: empty",
	} {
		path := filepath.Join(dir, "accept-case.yaml")
		if err := os.WriteFile(path, []byte(raw), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadAccept(path)
		if err == nil || !strings.HasPrefix(err.Error(), "accept file "+path+": "+want) || strings.Contains(err.Error(), "profile.") {
			t.Errorf("LoadAccept(%q) = %v, want %q after the file's name", raw, err, want)
		}
	}
}

// A value of the wrong shape in a profile is named by its key with what
// belongs there, not by Go's type.
func TestWrongShapeIsNamedByItsKey(t *testing.T) {
	for raw, want := range map[string]string{
		"target: x\n":               `target: want a map of keys and values, got the string "x"`,
		"accept: {P8.3: x}\n":       "accept: want a list of {id, reason}, got a map",
		"repeat: 2.5\n":             "repeat: want a whole number, got the number 2.5",
		"proxy: {login: /login}\n":  `proxy.login: want {method, path, body}, got the string "/login"`,
		"target: {env: [A]}\n":      "target.env: want a map of keys and values, got a list",
		"- a\n":                     "want a map of keys and values, got a list",
		"backend: {dialect: [x]}\n": "backend.dialect: want a string, got a list",
	} {
		if _, err := Parse([]byte(raw)); err == nil || err.Error() != want {
			t.Errorf("Parse(%q) = %v, want %q", raw, err, want)
		}
	}
}

func TestTimeoutFormatsOfTheDocs(t *testing.T) {
	// contract.md and cli.md promise these three spellings.
	for _, f := range []TimeoutFormat{TimeoutGo, TimeoutSeconds, TimeoutMillis} {
		p := Default()
		p.Target.BackendTimeoutFormat = f
		p.Target.BackendTimeout = dialect.Duration(3 * time.Second)
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestCSRFFromAJSONEndpointOnSomeRequests(t *testing.T) {
	p, err := Parse([]byte("proxy:\n  csrf:\n    source: 'json:/auth/csrf#csrfToken'\n    send: 'field:csrfToken'\n    requests: [login, logout]\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := p.Proxy.CSRF
	if path, field, ok := c.JSONSource(); !ok || path != "/auth/csrf" || field != "csrfToken" {
		t.Errorf("JSONSource = %q %q %v, want /auth/csrf csrfToken", path, field, ok)
	}
	if !c.Carries(CSRFOnLogin) || !c.Carries(CSRFOnLogout) || c.Carries(CSRFOnUpdate) {
		t.Errorf("requests [login, logout]: carries login %v, logout %v, update %v", c.Carries(CSRFOnLogin), c.Carries(CSRFOnLogout), c.Carries(CSRFOnUpdate))
	}
	p, err = Parse([]byte("proxy: {csrf: {source: 'json:/api/auth/csrf#data.token', send: 'header:X-CSRF-Token'}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, field, _ := p.Proxy.CSRF.JSONSource(); field != "data.token" {
		t.Errorf("dotted field = %q", field)
	}
	for _, req := range []string{CSRFOnLogin, CSRFOnLogout, CSRFOnUpdate} {
		if !p.Proxy.CSRF.Carries(req) {
			t.Errorf("without requests, %s should carry the token", req)
		}
	}
	if Default().Proxy.CSRF.Carries(CSRFOnLogin) {
		t.Error("the default profile asks for no token")
	}
	if _, _, ok := (CSRF{Source: "input:_csrf"}).JSONSource(); ok {
		t.Error("an input source is no JSON source")
	}
}

func TestCSRFJSONSourceAndOnAreChecked(t *testing.T) {
	for raw, want := range map[string]string{
		"proxy: {csrf: {source: 'json:/auth/csrf', send: 'field:t'}}\n":                     "proxy.csrf.source: \"json:/auth/csrf\" names no field; want json:PATH#FIELD",
		"proxy: {csrf: {source: 'json:auth/csrf#t', send: 'field:t'}}\n":                    "proxy.csrf.source: \"json:auth/csrf#t\": the path \"auth/csrf\" does not start with /",
		"proxy: {csrf: {source: 'json:/auth/csrf#', send: 'field:t'}}\n":                    "proxy.csrf.source: \"json:/auth/csrf#\": the field \"\" is not a dotted path",
		"proxy: {csrf: {source: 'json:/auth/csrf#a..b', send: 'field:t'}}\n":                "the field \"a..b\" is not a dotted path",
		"proxy: {csrf: {source: 'body:x', send: 'field:t'}}\n":                              "proxy.csrf.source: \"body:x\" is not cookie:NAME, input:NAME, meta:NAME or json:PATH#FIELD",
		"proxy: {csrf: {source: 'input:t', send: 'field:t', requests: []}}\n":               "proxy.csrf.requests: empty",
		"proxy: {csrf: {source: 'input:t', send: 'field:t', requests: [login, signin]}}\n":  "proxy.csrf.requests[1]: \"signin\" is not one of login, logout, update",
		"proxy: {csrf: {source: 'input:t', send: 'field:t', requests: [logout, logout]}}\n": "proxy.csrf.requests[1]: logout is listed twice",
		"proxy: {csrf: {source: 'input:t', send: 'field:t', requests: login}}\n":            "proxy.csrf.requests: want a list",
		"proxy: {csrf: {source: 'input:t', send: 'field:t', on: [login]}}\n":                "unknown key \"proxy.csrf.true\": YAML reads an unquoted on",
		"proxy: {csrf: {requests: [login]}}\n":                                              "proxy.csrf.requests: lists the requests",
	} {
		_, err := Parse([]byte(raw))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", raw, err, want)
		}
	}
}

// The YAML of docs/profiles.md (the Auth.js mapping) is a profile that
// loads, with what the text says.
func TestProfilesDocYAMLLoads(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "docs", "profiles.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(raw), "```yaml\n")[1:]
	if len(blocks) == 0 {
		t.Fatal("docs/profiles.md has no YAML block")
	}
	for _, b := range blocks {
		yaml, _, _ := strings.Cut(b, "```")
		p, err := Parse([]byte(yaml))
		if err != nil {
			t.Errorf("%v in:\n%s", err, yaml)
			continue
		}
		if path, field, ok := p.Proxy.CSRF.JSONSource(); ok && (path != "/auth/csrf" || field != "csrfToken" || p.Proxy.CSRF.Carries(CSRFOnUpdate)) {
			t.Errorf("the Auth.js mapping reads %s#%s and carries the token on the update %v", path, field, p.Proxy.CSRF.Carries(CSRFOnUpdate))
		}
	}
}
