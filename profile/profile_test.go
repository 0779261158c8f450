package profile

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
)

func TestReadyPathDefaultsToTheLoginPage(t *testing.T) {
	if got := Default().Target.ReadyPath; got != "/login" {
		t.Errorf("default ready_path = %q, want /login", got)
	}
	p, err := Parse([]byte("proxy:\n  login_page:\n    path: /signin\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Target.ReadyPath != "/signin" {
		t.Errorf("ready_path = %q, want the login page's path /signin", p.Target.ReadyPath)
	}
	p, err = Parse([]byte("target:\n  ready_path: /healthz\nproxy:\n  login_page:\n    path: /signin\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Target.ReadyPath != "/healthz" {
		t.Errorf("explicit ready_path = %q, want /healthz", p.Target.ReadyPath)
	}
}

func TestBackendTimeoutEnvName(t *testing.T) {
	if got := Default().Target.EnvNames.BackendTimeout; got != "BACKEND_TIMEOUT" {
		t.Errorf("default env_names.backend_timeout = %q, want BACKEND_TIMEOUT", got)
	}
	p, err := Parse([]byte("target:\n  env_names:\n    backend_timeout: API_TIMEOUT\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Target.EnvNames.BackendTimeout != "API_TIMEOUT" || p.Target.EnvNames.BackendURL != "BACKEND_URL" {
		t.Errorf("env_names = %+v", p.Target.EnvNames)
	}
}

// repeat is the rounds of the race scenarios: left out it stays 0 (the
// suite's default), and outside 1..MaxRepeat it is refused by name.
func TestRepeat(t *testing.T) {
	if got := Default().Repeat; got != 0 {
		t.Errorf("default repeat = %d, want 0 (the suite's default)", got)
	}
	p, err := Parse([]byte("repeat: 7\n"))
	if err != nil || p.Repeat != 7 {
		t.Fatalf("repeat: 7 read as %v, %v", p, err)
	}
	for _, bad := range []string{"repeat: -1\n", "repeat: 101\n"} {
		if _, err := Parse([]byte(bad)); err == nil || !strings.Contains(err.Error(), "repeat:") {
			t.Errorf("%q: error %v, want one naming repeat", bad, err)
		}
	}
}

// The backend section holds the dialect's mapping: its keys sit directly in
// the section, an unquoted number is a string where the key is one, and a
// contradiction is refused naming the key under backend.
func TestBackendSectionIsTheMapping(t *testing.T) {
	p, err := Parse([]byte(`
backend:
  url: https://auth.example.com
  dialect: oauth2
  refresh: {path: /realms/demo/protocol/openid-connect/token}
  logout: {path: /realms/demo/protocol/openid-connect/revoke}
  client_id: 12345678901234567890
  client_secret: true
  client_auth: body
  scope: openid offline_access
  reuse_leeway: 3s
  paths: {me_first_name: given_name}
  rate_limit_burst: 20
`))
	if err != nil {
		t.Fatal(err)
	}
	b := p.Backend
	if b.ClientID != "12345678901234567890" || b.ClientSecret != "true" || b.ClientAuth != dialect.ClientAuthBody ||
		b.Scope != "openid offline_access" || b.ReuseLeeway.Std() != 3*time.Second || b.RateLimitBurst != 20 || b.URL != "https://auth.example.com" {
		t.Errorf("backend %+v", b)
	}
	if b.Login != b.Refresh || !b.TokenEndpoint() || b.Paths.MeFirstName != "given_name" || b.Paths.TokenType != "token_type" {
		t.Errorf("defaults after the dialect: %+v", b.Mapping)
	}
	for raw, want := range map[string]string{
		"backend:\n  refresh: {path: /auth/login}\n":                    "backend.refresh.path: ",
		"backend:\n  paths: {access_token: a, refresh_token: a.b}\n":    "backend.paths.refresh_token: ",
		"backend:\n  scope: offline_access\n":                           "backend.scope: ",
		"backend:\n  client_auth: basic\n":                              "backend.client_auth: ",
		"backend:\n  dialect: oauth2\n  client_auth: mtls\n":            "backend.client_auth: ",
		"backend:\n  reuse_leeway: soon\n":                              "reuse_leeway",
		"backend:\n  paths: {acces_token: a}\n":                         `unknown key "backend.paths.acces_token"`,
		"backend:\n  dialect: xml\n":                                    "backend.dialect: ",
		"backend:\n  rate_limit_burst: 5000\n":                          "backend.rate_limit_burst: ",
		"backend:\n  me: {path: api/me}\n":                              "backend.me.path: ",
		"backend:\n  dialect: oauth2\n  logout: {path: /oauth/token}\n": "backend.logout.path: ",
	} {
		if _, err := Parse([]byte(raw)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error with %q", raw, err, want)
		}
	}
}

// A profile without a backend section keeps contract.md §1, and the keys a
// profile wrote before the mapping existed keep their meaning.
func TestBackendDefaultsAreTheContract(t *testing.T) {
	if got := Default().Backend.Mapping; got != dialect.Default() {
		t.Errorf("default backend mapping %+v", got)
	}
	p, err := Parse([]byte("backend:\n  refresh: {path: /api/v1/token/refresh}\n  fields: {refresh_token: refreshToken}\n  paths: {access_token: accessToken, refresh_token: refreshToken}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Backend.Refresh.String() != "POST /api/v1/token/refresh" || p.Backend.Refresh.Body != "json" || p.Backend.Fields.RefreshToken != "refreshToken" ||
		p.Backend.Paths.ExpiresIn != "data.authorization.expires_in" || p.Backend.Login.Path != "/auth/login" {
		t.Errorf("backend %+v", p.Backend.Mapping)
	}
}
func TestInstances(t *testing.T) {
	if got := Default().Target.Instances; got != 1 {
		t.Errorf("default target.instances = %d, want 1", got)
	}
	p, err := Parse([]byte("target:\n  command: ./app\n  instances: 3\n"))
	if err != nil || p.Target.Instances != 3 {
		t.Fatalf("target.instances: 3 parsed as %+v, %v", p, err)
	}
	p, err = Parse([]byte("target:\n  url: http://127.0.0.1:3000, http://127.0.0.1:3001\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Target.URLs(); len(got) != 2 || got[1] != "http://127.0.0.1:3001" {
		t.Errorf("URLs of a list = %q", got)
	}
	for _, c := range []struct{ yaml, want string }{
		{"target:\n  instances: -1\n", "target.instances: -1 is outside 1..16"},
		{"target:\n  instances: 17\n", "target.instances: 17 is outside 1..16"},
		{"target:\n  url: http://a:1,http://b:1\n  instances: 3\n", "target.instances: 3, but target.url lists 2 URLs"},
		{"target:\n  url: http://a:1,b:1\n", `target.url: "b:1" is not an http(s) URL`},
	} {
		_, err := Parse([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error with %q", c.yaml, err, c.want)
		}
	}
}

// A key whose zero means "left out, take the default" refuses a zero
// written for it, naming the key, as its flag refuses 0: `repeat: 0` used to
// run the default 3 rounds. Every number and duration of the profile is
// either such a key or one whose zero means something of its own, which is
// taken as written; a key added to Profile must be put in one list or the
// other.
func TestWrittenZeroIsRefusedWhereItWouldBecomeTheDefault(t *testing.T) {
	refused := map[string]string{
		"repeat":                 "repeat: 0 is outside 1..100",
		"target.instances":       "target.instances: 0 is outside 1..16",
		"target.start_timeout":   "target.start_timeout: 0s is not positive",
		"target.backend_timeout": "target.backend_timeout: 0s is not positive",
	}
	meaningful := []string{"backend.rate_limit_burst", "backend.short_access_ttl", "backend.reuse_leeway", "proxy.session_lifetime"}

	numeric := numericKeys(reflect.TypeFor[Profile](), "")
	want := slices.Concat(slices.Collect(maps.Keys(refused)), meaningful)
	slices.Sort(numeric)
	slices.Sort(want)
	if !slices.Equal(numeric, want) {
		t.Fatalf("the profile's number and duration keys are %q; this test knows %q: say of each new one whether a written zero is refused", numeric, want)
	}
	zero := func(key string) []byte {
		parent, leaf, nested := strings.Cut(key, ".")
		value := "0"
		if strings.Contains(key, "timeout") || strings.Contains(key, "ttl") || strings.Contains(key, "leeway") || strings.Contains(key, "lifetime") {
			value = "0s"
		}
		if !nested {
			return []byte(parent + ": " + value + "\n")
		}
		return []byte(parent + ":\n  " + leaf + ": " + value + "\n")
	}
	for key, msg := range refused {
		if _, err := Parse(zero(key)); err == nil || err.Error() != msg {
			t.Errorf("%s written as zero: %v, want %q", key, err, msg)
		}
	}
	for _, key := range meaningful {
		if _, err := Parse(zero(key)); err != nil {
			t.Errorf("%s written as zero: %v, want it taken as written", key, err)
		}
	}
	if _, err := Parse([]byte("backend:\n  short_access_ttl: -1s\n")); err == nil || !strings.Contains(err.Error(), "backend.short_access_ttl: -1s is negative") {
		t.Errorf("a negative short_access_ttl: %v, want it refused by name", err)
	}
	if _, err := Parse([]byte("proxy:\n  session_lifetime: -1s\n")); err == nil || !strings.Contains(err.Error(), "proxy.session_lifetime: -1s is negative") {
		t.Errorf("a negative session_lifetime: %v, want it refused by name", err)
	}
	if p, err := Parse([]byte("proxy:\n  session_lifetime: 24h\n")); err != nil || p.Proxy.SessionLifetime.Std() != 24*time.Hour {
		t.Errorf("session_lifetime: 24h: %v, want it taken as written", err)
	}
}

// numericKeys are the dotted keys of t's int and Duration fields.
func numericKeys(t reflect.Type, prefix string) []string {
	var out []string
	for name, ft := range jsonFields(t) {
		key := join(prefix, name)
		switch {
		case ft == reflect.TypeFor[dialect.Duration](), ft.Kind() == reflect.Int:
			out = append(out, key)
		case ft.Kind() == reflect.Struct:
			out = append(out, numericKeys(ft, key)...)
		}
	}
	return out
}

// proxy.cookie_name takes one name, several (a list, or a string of them
// separated by commas), or patterns; what is no cookie name is refused by
// its key.
func TestCookieName(t *testing.T) {
	for _, c := range []struct {
		yaml string
		want []string
	}{
		{"proxy:\n  cookie_name: session\n", []string{"session"}},
		{"proxy:\n  cookie_name: [authjs.session-token, next-auth.session-token]\n", []string{"authjs.session-token", "next-auth.session-token"}},
		{"proxy:\n  cookie_name: \"a, b\"\n", []string{"a", "b"}},
		{"proxy:\n  cookie_name: \"*.session-token\"\n", []string{"*.session-token"}},
	} {
		p, err := Parse([]byte(c.yaml))
		if err != nil {
			t.Errorf("%q: %v", c.yaml, err)
			continue
		}
		if got := p.Proxy.CookieNames(); !slices.Equal(got, c.want) {
			t.Errorf("%q: CookieNames = %q, want %q", c.yaml, got, c.want)
		}
	}
	if got := Default().Proxy.CookieNames(); len(got) != 0 {
		t.Errorf("default CookieNames = %q, want none (learned at login)", got)
	}
	for _, bad := range []string{
		"proxy:\n  cookie_name: \"a[\"\n",
		"proxy:\n  cookie_name: \"se;ssion\"\n",
		"proxy:\n  cookie_name: []\n",
		"proxy:\n  cookie_name: [a, 3]\n",
		"proxy:\n  cookie_name: {a: b}\n",
	} {
		_, err := Parse([]byte(bad))
		if err == nil || !strings.Contains(err.Error(), "proxy.cookie_name") {
			t.Errorf("%q: error %v, want one naming proxy.cookie_name", bad, err)
		}
	}
}

// proxy.session_endpoints defaults to the common paths, which P8.4 passes
// over when they do not exist; a listed one must be a path.
func TestSessionEndpoints(t *testing.T) {
	if got, listed := Default().Proxy.SessionEndpointsOrDefault(); listed || !slices.Equal(got, DefaultSessionEndpoints) {
		t.Errorf("default session endpoints = %q (listed %v), want %q, not listed", got, listed, DefaultSessionEndpoints)
	}
	p, err := Parse([]byte("proxy:\n  session_endpoints: [/api/session]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, listed := p.Proxy.SessionEndpointsOrDefault(); !listed || !slices.Equal(got, []string{"/api/session"}) {
		t.Errorf("session endpoints = %q (listed %v), want [/api/session], listed", got, listed)
	}
	for _, bad := range []string{"proxy:\n  session_endpoints: [api/session]\n", "proxy:\n  session_endpoints: /api/session\n"} {
		if _, err := Parse([]byte(bad)); err == nil || !strings.Contains(err.Error(), "proxy.session_endpoints") {
			t.Errorf("%q: error %v, want one naming proxy.session_endpoints", bad, err)
		}
	}
}
