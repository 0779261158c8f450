package reference

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// Backends the reference must speak besides contract.md §1, as profiles'
// backend sections write them (docs/dialects.md).
var mappings = map[string]string{
	// An OAuth 2.0 server laid out as Keycloak's: the realm's token,
	// revocation and userinfo endpoints, HTTP Basic, offline_access.
	"oauth2": `{"dialect":"oauth2","refresh":{"path":"/realms/r/protocol/openid-connect/token"},
		"logout":{"path":"/realms/r/protocol/openid-connect/revoke"},"me":{"path":"/realms/r/protocol/openid-connect/userinfo"},
		"paths":{"me_first_name":"given_name"},"client_id":"app","client_secret":"s3cret","scope":"openid offline_access"}`,
	// A team's own JSON API: camelCase, flat answers, no success flag.
	"custom": `{"login":{"path":"/api/v1/session"},"login_fields":{"email":"login","password":"secret"},
		"refresh":{"path":"/api/v1/token/refresh"},"logout":{"method":"DELETE","path":"/api/v1/session"},
		"me":{"path":"/api/v1/me"},"profile":{"path":"/api/v1/me"},"fields":{"refresh_token":"refreshToken"},
		"paths":{"access_token":"accessToken","refresh_token":"refreshToken","expires_in":"expiresIn","token_type":"none",
		"first_name":"user.firstName","me_first_name":"firstName"},"errors":{"code":"code","message":"detail"},"success_flag":"none"}`,
}

// The reference speaks the backend's mapping end to end: bad credentials,
// login (the first name from the me resource where the token answer has
// none), the profile page and its script's path to the name, a refresh on
// expiry at the mapping's route, the profile update, logout (RFC 7009
// revocation in the oauth2 dialect), and invalid_grant ending the session.
func TestSpeaksTheBackendsMapping(t *testing.T) {
	for name, raw := range mappings {
		t.Run(name, func(t *testing.T) {
			m, err := dialect.ParseJSON([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			be, ctl := startBackend(t, fakebackend.Config{Mapping: m})
			p := startProxy(t, be.URL, func(c *Config) { c.Mapping = m })

			if a := p.do(request{method: http.MethodPost, path: "/login", body: `{"email":"alice@example.com","password":"wrong"}`}); a.Status != http.StatusUnauthorized || a.SessionCookie() != nil {
				t.Errorf("bad credentials: %d %s, cookie %v; want 401 and none", a.Status, a.Body, a.SessionCookie())
			}
			a := p.do(request{method: http.MethodPost, path: "/login", body: aliceLoginJSON})
			if a.Status != http.StatusOK || !strings.Contains(a.Body, `"firstName":"Alice"`) || !strings.Contains(a.Body, `"email":"alice@example.com"`) {
				t.Fatalf("login: %d %s; want 200 with the user", a.Status, a.Body)
			}
			cookie := a.SessionCookie()
			page := p.get("/profile", cookie)
			keys := `var path = ["` + strings.Join(strings.Split(m.Paths.MeFirstName, "."), `","`) + `"];`
			if page.Status != http.StatusOK || !strings.Contains(page.Body, `<span id="first-name">Alice</span>`) || !strings.Contains(page.Body, keys) {
				t.Errorf("profile page: %d; want Alice and %s in\n%s", page.Status, keys, page.Body)
			}

			expireAccess(t, ctl)
			since := lastSeq(t, ctl)
			me := p.get("/api/me", cookie)
			refreshes := byRoute(journal(t, ctl, since), control.RouteRefresh)
			if me.Status != http.StatusOK || me.SessionCookie() == nil || len(refreshes) != 1 || refreshes[0].Path != m.Refresh.Path || refreshes[0].Status != http.StatusOK {
				t.Fatalf("/api/me after expiry: %d, rotated cookie %v, refreshes:\n%s", me.Status, me.SessionCookie() != nil, dumpJournal(t, refreshes))
			}
			cookie = me.SessionCookie()
			if up := p.do(request{method: http.MethodPatch, path: "/api/profile", cookie: cookie, body: `{"lastName":"Pleasance"}`}); up.Status != http.StatusOK || !strings.Contains(up.Body, "Pleasance") {
				t.Errorf("profile update: %d %s", up.Status, up.Body)
			}

			refresh := lastIssued(t, ctl, control.Refresh)
			since = lastSeq(t, ctl)
			if out := p.do(request{method: http.MethodPost, path: "/logout", cookie: cookie}); out.Status != http.StatusOK || !out.Cleared() {
				t.Errorf("logout: %d, cleared %v", out.Status, out.Cleared())
			}
			logouts := byRoute(journal(t, ctl, since), control.RouteLogout)
			if len(logouts) != 1 || logouts[0].Token != refresh || logouts[0].Path != m.Logout.Path || tokenState(t, ctl, refresh) != control.StateRevoked {
				t.Errorf("logout at the backend: want %s with the current refresh token, revoking it:\n%s", m.Logout, dumpJournal(t, logouts))
			}

			cookie = p.login()
			tokens := issuedTokens(t, ctl)
			// The revoked family's access token is refused too, so the
			// next request refreshes and meets invalid_grant.
			if _, err := ctl.Revoke(t.Context(), tokens[len(tokens)-1].Family); err != nil {
				t.Fatal(err)
			}
			if lost := p.get("/api/me", cookie); lost.Status != http.StatusUnauthorized || !lost.Cleared() {
				t.Errorf("/api/me once the refresh meets invalid_grant: %d, cleared %v; want 401 and the cookie cleared", lost.Status, lost.Cleared())
			}
		})
	}
}

// BACKEND_MAPPING names a file of mapping keys, YAML or JSON; a file that is
// missing, has an unknown key or contradicts itself is refused with the
// variable, the file and the key named.
func TestBackendMappingFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	env := func(mapping string) func(string) string {
		return func(k string) string {
			return map[string]string{EnvBackendURL: "http://127.0.0.1:1", EnvSessionSecret: testSecret, EnvBackendMapping: mapping}[k]
		}
	}
	yaml := write("keycloak.yaml", "dialect: oauth2\nrefresh: {path: /realms/r/protocol/openid-connect/token}\nclient_id: app\nclient_secret: s3cret\nscope: offline_access\n")
	cfg, err := ConfigFromEnv(env(yaml))
	if err != nil || !cfg.Mapping.IsOAuth2() || cfg.Mapping.Login.Path != "/realms/r/protocol/openid-connect/token" || cfg.Mapping.Scope != "offline_access" {
		t.Errorf("YAML mapping: %+v %v", cfg.Mapping, err)
	}
	cfg, err = ConfigFromEnv(env(write("custom.json", mappings["custom"])))
	if err != nil || cfg.Mapping.Paths.AccessToken != "accessToken" {
		t.Errorf("JSON mapping: %+v %v", cfg.Mapping, err)
	}
	if cfg, err = ConfigFromEnv(env("")); err != nil || cfg.Mapping != (dialect.Mapping{}) {
		t.Errorf("no mapping: %+v %v; want the zero mapping (contract.md §1)", cfg.Mapping, err)
	}
	for file, want := range map[string]string{
		filepath.Join(dir, "missing.yaml"):                    "missing.yaml",
		write("typo.yaml", "dialekt: oauth2\n"):               "dialekt",
		write("clash.yaml", "refresh: {path: /auth/login}\n"): "refresh.path",
		write("url.yaml", "url: http://x\n"):                  "url",
	} {
		_, err := ConfigFromEnv(env(file))
		if err == nil || !strings.Contains(err.Error(), EnvBackendMapping) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want an error naming %s and %q", file, err, EnvBackendMapping, want)
		}
	}
	if _, err := NewServer(Config{BackendURL: "http://127.0.0.1:1", Secrets: []string{testSecret}, Mapping: dialect.Mapping{Profile: dialect.Endpoint{Body: dialect.BodyForm}}}); err == nil || !strings.Contains(err.Error(), "profile.body") {
		t.Errorf("a form profile route: %v; want it refused naming profile.body", err)
	}
}
