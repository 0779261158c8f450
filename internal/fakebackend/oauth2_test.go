package fakebackend_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

const formType = "application/x-www-form-urlencoded"

// basicAuth is the Authorization header of RFC 6749 §2.3.1: both parts
// form-encoded, then Basic.
func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// The token endpoint answers RFC 6749 §5.1's flat object, echoing the scope
// asked for, at one path for both grants.
func TestOAuth2TokenAnswers(t *testing.T) {
	d := startWire(t, fakebackend.Config{Mapping: oauth2Server})
	a := d.login(aliceEmail, alicePassword)
	tok := d.tokens(a)
	for _, key := range []string{"access_token", "refresh_token", "token_type", "expires_in", "scope"} {
		if a.get(key) == nil {
			t.Errorf("no %s in %s", key, a.raw)
		}
	}
	if len(a.body) != 5 || tok.Scope != "openid offline_access" || a.header.Get("Pragma") != "no-cache" {
		t.Errorf("token answer %s, Pragma %q", a.raw, a.header.Get("Pragma"))
	}
	e := d.expectJournal(control.RouteLogin, dialect.Endpoint{Method: "POST", Path: "/oauth/token"}, 200, control.OutcomeOK)
	if !strings.Contains(e.Body, "grant_type=password") {
		t.Errorf("journaled body %q", e.Body)
	}
	r := d.refresh(tok.Refresh)
	if next := d.tokens(r); next.Scope != tok.Scope {
		t.Errorf("refresh scope %q, want the login's %q", next.Scope, tok.Scope)
	}
	d.expectJournal(control.RouteRefresh, dialect.Endpoint{Method: "POST", Path: "/oauth/token"}, 200, control.OutcomeOK)
}

// Keycloak, Auth0, Okta and Hydra issue a refresh token only for the
// mapping's scope (offline_access): a login that does not ask for it gets
// an access token alone.
func TestOAuth2NoRefreshTokenWithoutTheScope(t *testing.T) {
	d := startWire(t, fakebackend.Config{Mapping: oauth2Server})
	auth := basicAuth(oauth2Server.ClientID, oauth2Server.ClientSecret)
	a := d.raw("POST", "/oauth/token", formType, "grant_type=password&username=alice%40example.com&password=correct+horse&scope=openid", "Authorization", auth)
	if a.status != 200 || a.str("access_token") == "" || a.get("refresh_token") != nil || a.str("scope") != "openid" {
		t.Errorf("login without offline_access: %d %s, want an access token and no refresh token", a.status, a.raw)
	}
	if e := d.last(); len(e.Issued) != 1 || e.Issued[0].Kind != control.Access {
		t.Errorf("issued %+v", e.Issued)
	}
}

// Client authentication is the mapping's one method; anything else is 401
// invalid_client, with the Basic challenge for basic.
func TestOAuth2ClientAuthentication(t *testing.T) {
	refresh := "grant_type=refresh_token&refresh_token=x"
	withSecret := refresh + "&client_id=refreshspec-app&client_secret=" + url.QueryEscape(oauth2Server.ClientSecret)
	good := basicAuth(oauth2Server.ClientID, oauth2Server.ClientSecret)

	basic := startWire(t, fakebackend.Config{Mapping: oauth2Server})
	for name, c := range map[string]struct{ body, auth string }{
		"no credentials":              {refresh, ""},
		"wrong secret":                {refresh, basicAuth(oauth2Server.ClientID, "nope")},
		"secret not form-encoded":     {refresh, "Basic " + base64.StdEncoding.EncodeToString([]byte("refreshspec-app:s3cret/with&odd=chars"+"x"))},
		"in the body, basic is asked": {withSecret, ""},
		"both ways at once":           {withSecret, good},
	} {
		a := basic.raw("POST", "/oauth/token", formType, c.body, "Authorization", c.auth)
		basic.expectFailure(a, 401, "invalid_client")
		if a.header.Get("WWW-Authenticate") != `Basic realm="refreshspec"` {
			t.Errorf("%s: WWW-Authenticate %q", name, a.header.Get("WWW-Authenticate"))
		}
		basic.expectJournal(control.RouteRefresh, basic.m.Refresh, 401, control.OutcomeInvalidClient)
	}
	basic.expectFailure(basic.raw("POST", "/oauth/token", formType, refresh, "Authorization", good), 400, "invalid_grant")

	m := oauth2Server
	m.ClientAuth = dialect.ClientAuthBody
	body := startWire(t, fakebackend.Config{Mapping: m})
	a := body.raw("POST", "/oauth/token", formType, refresh, "Authorization", good)
	body.expectFailure(a, 401, "invalid_client")
	if a.header.Get("WWW-Authenticate") != "" {
		t.Errorf("client_secret_post: WWW-Authenticate %q", a.header.Get("WWW-Authenticate"))
	}
	body.expectFailure(body.raw("POST", "/oauth/token", formType, withSecret), 400, "invalid_grant")
	body.loginAlice() // the mapping's own requests authenticate in the body

	public := startWire(t, fakebackend.Config{Mapping: dialect.Mapping{Dialect: dialect.OAuth2, ClientID: "spa"}})
	public.expectFailure(public.raw("POST", "/oauth/token", formType, refresh), 401, "invalid_client")
	public.expectFailure(public.raw("POST", "/oauth/token", formType, refresh+"&client_id=spa"), 400, "invalid_grant")
	public.loginAlice()

	none := startWire(t, fakebackend.Config{Mapping: dialect.Mapping{Dialect: dialect.OAuth2}})
	none.expectFailure(none.raw("POST", "/oauth/token", formType, refresh), 400, "invalid_grant")
}

// The token endpoint takes forms only, each parameter once, and says
// which grant it does not support (RFC 6749 §5.2).
func TestOAuth2RequestErrors(t *testing.T) {
	d := startWire(t, fakebackend.Config{Mapping: oauth2Server})
	auth := []string{"Authorization", basicAuth(oauth2Server.ClientID, oauth2Server.ClientSecret)}
	for name, c := range map[string]struct {
		contentType, body string
		status            int
		code              string
		role              control.Route
	}{
		"a JSON body":           {"application/json", `{"grant_type":"refresh_token","refresh_token":"x"}`, 400, "invalid_request", control.RouteRefresh},
		"no Content-Type":       {"", "grant_type=refresh_token&refresh_token=x", 400, "invalid_request", control.RouteRefresh},
		"a parameter twice":     {formType, "grant_type=refresh_token&refresh_token=x&refresh_token=y", 400, "invalid_request", control.RouteRefresh},
		"no grant_type":         {formType, "refresh_token=x", 400, "invalid_request", control.RouteRefresh},
		"an unsupported grant":  {formType, "grant_type=client_credentials", 400, "unsupported_grant_type", control.RouteRefresh},
		"no refresh token":      {formType, "grant_type=refresh_token", 400, "invalid_request", control.RouteRefresh},
		"no password":           {formType, "grant_type=password&username=alice%40example.com", 400, "invalid_request", control.RouteLogin},
		"a wrong password":      {formType, "grant_type=password&username=alice%40example.com&password=x", 400, "invalid_grant", control.RouteLogin},
		"charset in the header": {formType + "; charset=utf-8", "grant_type=refresh_token&refresh_token=x", 400, "invalid_grant", control.RouteRefresh},
	} {
		t.Run(name, func(t *testing.T) {
			d.expectFailure(d.raw("POST", "/oauth/token", c.contentType, c.body, auth...), c.status, c.code)
			if e := d.last(); e.Route != c.role {
				t.Errorf("journaled as %s, want %s", e.Route, c.role)
			}
		})
	}
	a := d.raw("POST", "/oauth/revoke", formType, "token_type_hint=refresh_token", auth...)
	d.expectFailure(a, 400, "invalid_request")
	d.expectFailure(d.raw("POST", "/oauth/revoke", formType, "token=x"), 401, "invalid_client")
}

// Refresh attempts at the token endpoint are rate-limited per address like
// the json dialect's, malformed ones included.
func TestOAuth2InvalidAttemptsCountAgainstTheAddress(t *testing.T) {
	d := startWire(t, fakebackend.Config{Mapping: oauth2Server, RateLimit: &control.RateLimit{Enabled: true, PerFamily: 100, PerAddress: 3}})
	for range 3 {
		d.expectFailure(d.raw("POST", "/oauth/token", "application/json", "{}"), 400, "invalid_request")
	}
	d.expectFailure(d.refresh("x"), 429, "rate_limited")
}

// A custom JSON backend is served at its own routes only, with its own
// field names, and a form login when its mapping says so.
func TestCustomJSONRoutesAndFields(t *testing.T) {
	d := startWire(t, fakebackend.Config{Mapping: customJSON})
	for _, path := range []string{"/auth/login", "/auth/refresh", "/api/user/me"} {
		d.expectFailure(d.raw("POST", path, "application/json", "{}"), 404, "not_found")
	}
	d.expectFailure(d.raw("POST", "/api/v1/token/refresh", "application/json", `{"refresh_token":"x"}`), 400, "invalid_request")
	a := d.raw("GET", "/api/v1/session", "", "")
	if a.status != 405 || a.header.Get("Allow") != "POST, DELETE" {
		t.Errorf("GET on the session path: %d, Allow %q", a.status, a.header.Get("Allow"))
	}
	a = d.login(aliceEmail, alicePassword)
	if a.str("user.email") != aliceEmail || a.get("success") != nil || a.get("data") != nil {
		t.Errorf("flat envelope: %s", a.raw)
	}

	m := customJSON
	m.Login.Body = dialect.BodyForm
	form := startWire(t, fakebackend.Config{Mapping: m})
	form.loginAlice()
	form.expectFailure(form.raw("POST", "/api/v1/session", "application/json", `{"login":"alice@example.com","secret":"correct horse"}`), 400, "invalid_request")
}

// Breaks keep their meaning in every dialect; the envelope break moves the
// tokens one object up (or under data).
func TestBreaksInTheOAuth2Dialect(t *testing.T) {
	d := startWire(t, fakebackend.Config{Mapping: oauth2Server, Breaks: []fakebackend.Break{fakebackend.BreakWrongEnvelope, fakebackend.BreakNoCacheControl}})
	a := d.login(aliceEmail, alicePassword)
	if a.status != 200 || a.get("access_token") != nil || a.str("data.access_token") == "" || a.header.Get("Cache-Control") != "" {
		t.Errorf("broken answer %d %s, Cache-Control %q", a.status, a.raw, a.header.Get("Cache-Control"))
	}
	if err := fakebackend.SetBreaks(bg, d.ctl, []fakebackend.Break{fakebackend.BreakMalformedJSON500}); err != nil {
		t.Fatal(err)
	}
	d.expectFailure(d.raw("POST", "/oauth/token", formType, "%zz"), 500, "server_error")
}

// A mapping the fake backend cannot serve is refused before anything
// listens, naming the key at fault.
func TestCheckMappingNamesTheKey(t *testing.T) {
	for key, m := range map[string]dialect.Mapping{
		"refresh.path":        {Refresh: dialect.Endpoint{Path: "/auth/login"}},
		"login.path":          {Dialect: dialect.OAuth2, Login: dialect.Endpoint{Path: "/auth/login", Body: "json"}},
		"refresh.body":        {Dialect: dialect.OAuth2, Refresh: dialect.Endpoint{Body: "json"}},
		"logout.body":         {Dialect: dialect.OAuth2, Logout: dialect.Endpoint{Body: "json"}},
		"me.method":           {Me: dialect.Endpoint{Method: "OPTIONS"}},
		"me.path":             {Me: dialect.Endpoint{Path: "/users/{id}"}},
		"logout.path":         {Logout: dialect.Endpoint{Path: "/auth//logout"}},
		"profile.body":        {Profile: dialect.Endpoint{Body: "form"}},
		"paths.refresh_token": {Paths: dialect.TokenPaths{AccessToken: "token", RefreshToken: "token.refresh"}},
	} {
		err := fakebackend.CheckMapping(m)
		var ke *dialect.KeyError
		if !errors.As(err, &ke) || ke.Key != key {
			t.Errorf("%s: %v, want a KeyError for %s", key, err, key)
		}
		if _, err := fakebackend.Start(bg, fakebackend.Config{Mapping: m}, fakebackend.StartOptions{}); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Start with a bad %s: %v", key, err)
		}
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "refresh.path") {
				t.Errorf("NewServer with a mapping it cannot serve: recovered %v, want a panic naming refresh.path", r)
			}
		}()
		fakebackend.MustNewServer(fakebackend.Config{Mapping: dialect.Mapping{Refresh: dialect.Endpoint{Path: "/auth/login"}}}).Close()
	}()
	if err := fakebackend.CheckMapping(dialect.Mapping{Me: dialect.Endpoint{Path: "/me/"}}); err != nil {
		t.Errorf("a path ending in /: %v", err)
	}
}
