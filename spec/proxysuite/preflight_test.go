package proxysuite

import (
	"strings"
	"testing"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// A login the target sent where the fake backend serves nothing of the
// profile's mapping is diagnosed at backend.*: what the target called, what
// the profile maps instead, and the keys that map it.
func TestUnservedBackendCallsPointAtTheMapping(t *testing.T) {
	other := func(method, path string) []control.Entry {
		return []control.Entry{{Route: control.RouteOther, Method: method, Path: path, Status: 404}}
	}
	withLogin := dialect.Mapping{Login: dialect.Endpoint{Method: "PUT", Path: "/api/session"}}
	withLogin.ApplyDefaults()
	for _, c := range []struct {
		name      string
		seen      []control.Entry
		m         dialect.Mapping
		key       string
		hint, saw string
	}{
		{"a json target, an oauth2 profile", other("POST", "/auth/login"), dialect.ForDialect(dialect.OAuth2), "backend.dialect and backend.login",
			"POST /auth/login is the json dialect's login, which the profile maps to POST /oauth/token (backend.login, backend.dialect: oauth2)",
			"POST /auth/login, which the profile's mapping does not serve (answered 404)"},
		{"an oauth2 target, a json profile", other("POST", "/oauth/token"), dialect.Default(), "backend.dialect and backend.login",
			"POST /oauth/token is the oauth2 dialect's login, which the profile maps to POST /auth/login (backend.login, backend.dialect: json)", ""},
		{"the login's path with another method", other("POST", "/api/session"), withLogin, "backend.login.method",
			"the profile maps /api/session to PUT /api/session (backend.login)", ""},
		{"a password grant to a json profile", []control.Entry{{Route: control.RouteOther, Method: "POST", Path: "/realms/demo/token", Status: 404, Body: "grant_type=password&username=a&password=b"}},
			dialect.Default(), "backend.dialect and backend.login.path",
			"POST /realms/demo/token sends an OAuth 2.0 token request (grant_type=password), as the oauth2 dialect does, but backend.dialect is json and maps the login to POST /auth/login", ""},
		{"a route of its own", append(other("POST", "/v2/signin"), other("POST", "/v2/signin")...), dialect.Default(), "backend.login.path",
			"the target called POST /v2/signin, but the fake backend serves the profile's backend mapping: no role of the profile's mapping is at POST /v2/signin; it maps login at POST /auth/login, refresh at POST /auth/refresh",
			"POST /v2/signin, which"},
	} {
		saw, key, hint := unservedDiagnosis(c.seen, c.m)
		if key != c.key || !strings.Contains(hint, c.hint) || !strings.HasPrefix(saw, c.saw) {
			t.Errorf("%s: check %q: %q (the backend saw %q); want %q with %q", c.name, key, hint, saw, c.key, c.hint)
		}
	}
}
