package dialect

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The default mapping is contract.md §1 as written: every route, field and
// path that profiles relied on before the mapping existed.
func TestDefaultIsTheSeedContract(t *testing.T) {
	m := Default()
	for got, want := range map[string]string{
		m.Login.String(): "POST /auth/login", m.Refresh.String(): "POST /auth/refresh", m.Logout.String(): "POST /auth/logout",
		m.Me.String(): "GET /api/user/me", m.Profile.String(): "PATCH /api/user/profile",
		m.Login.Body + m.Refresh.Body + m.Logout.Body:      "jsonjsonjson",
		m.LoginFields.Email + "," + m.LoginFields.Password: "email,password",
		m.Fields.RefreshToken:                              "refresh_token",
		m.Paths.AccessToken:                                "data.authorization.access_token",
		m.Paths.RefreshToken:                               "data.authorization.refresh_token",
		m.Paths.ExpiresIn:                                  "data.authorization.expires_in",
		m.Paths.TokenType:                                  "data.authorization.token_type",
		m.Paths.FirstName:                                  "data.user.firstName",
		m.Paths.MeFirstName:                                "data.firstName",
		m.Errors.Code:                                      "error",
		m.Errors.Message:                                   "message",
		m.SuccessFlag:                                      "success",
		string(m.Dialect):                                  "json",
		string(m.ClientAuth):                               "",
	} {
		if got != want {
			t.Errorf("default %q, want %q", got, want)
		}
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
}

func TestOAuth2Defaults(t *testing.T) {
	m := ForDialect(OAuth2)
	if m.Login != m.Refresh || m.Refresh.String() != "POST /oauth/token" || m.Refresh.Body != BodyForm ||
		m.Logout.String() != "POST /oauth/revoke" || m.Logout.Body != BodyForm || !m.TokenEndpoint() {
		t.Errorf("routes: %+v %+v %+v", m.Login, m.Refresh, m.Logout)
	}
	if m.Paths.AccessToken != "access_token" || m.Paths.TokenType != "token_type" || m.Paths.FirstName != None ||
		m.Errors.Message != "error_description" || m.SuccessFlag != None || m.ClientAuth != ClientAuthBasic || m.LoginFields.Email != "username" {
		t.Errorf("oauth2 defaults: %+v", m)
	}
	// A login left out goes to wherever the token endpoint was put.
	k := Mapping{Dialect: "OAuth2", Refresh: Endpoint{Path: "/realms/demo/protocol/openid-connect/token"}}
	k.ApplyDefaults()
	if k.Dialect != OAuth2 || k.Login.Path != k.Refresh.Path || !k.TokenEndpoint() {
		t.Errorf("keycloak-style: %+v", k.Login)
	}
	again := k
	again.ApplyDefaults()
	if again != k {
		t.Error("ApplyDefaults is not idempotent")
	}
}

// Validate refuses a mapping that contradicts itself, naming the key.
func TestValidateNamesTheKey(t *testing.T) {
	for _, c := range []struct {
		key string
		m   Mapping
	}{
		{"dialect", Mapping{Dialect: "soap"}},
		{"refresh.path", Mapping{Refresh: Endpoint{Path: "/auth/login"}}},
		{"me.path", Mapping{Me: Endpoint{Path: "api/me"}}},
		{"logout.path", Mapping{Dialect: OAuth2, Logout: Endpoint{Path: "/oauth/token"}}},
		{"login.body", Mapping{Dialect: OAuth2, Login: Endpoint{Path: "/oauth/token", Body: BodyJSON}}},
		{"refresh.body", Mapping{Refresh: Endpoint{Body: "xml"}}},
		{"login.method", Mapping{Login: Endpoint{Method: "post it"}}},
		{"profile.path", Mapping{Profile: Endpoint{Path: "/x?y=1"}}},
		{"paths.refresh_token", Mapping{Paths: TokenPaths{AccessToken: "data.token", RefreshToken: "data.token.refresh"}}},
		{"paths.refresh_token", Mapping{Dialect: OAuth2, Paths: TokenPaths{RefreshToken: "scope"}}},
		{"paths.expires_in", Mapping{Paths: TokenPaths{ExpiresIn: "data.authorization.access_token"}}},
		{"paths.first_name", Mapping{Paths: TokenPaths{AccessToken: "user.id", RefreshToken: "rt", FirstName: "user.firstName"}}},
		{"paths.first_name", Mapping{Paths: TokenPaths{FirstName: "data.user.id"}}},
		{"paths.access_token", Mapping{Paths: TokenPaths{AccessToken: None}}},
		{"paths.token_type", Mapping{Paths: TokenPaths{TokenType: "data..type"}}},
		{"paths.token_type", Mapping{Paths: TokenPaths{TokenType: "data.authorization"}}},
		{"paths.me_first_name", Mapping{Paths: TokenPaths{MeFirstName: "data.email"}}},
		{"errors.message", Mapping{Errors: ErrorBody{Code: "error", Message: "error.message"}}},
		{"success_flag", Mapping{SuccessFlag: "error", Errors: ErrorBody{Code: "error"}}},
		{"success_flag", Mapping{SuccessFlag: "data"}},
		{"login_fields.password", Mapping{LoginFields: LoginFields{Email: "user", Password: "user"}}},
		{"fields.refresh_token", Mapping{Fields: TokenFields{RefreshToken: `a"b`}}},
		{"login_fields.email", Mapping{Dialect: OAuth2, LoginFields: LoginFields{Email: "scope"}}},
		{"client_auth", Mapping{ClientAuth: ClientAuthBasic}},
		{"client_auth", Mapping{Dialect: OAuth2, ClientAuth: "jwt"}},
		{"scope", Mapping{Scope: "offline_access"}},
		{"scope", Mapping{Dialect: OAuth2, Scope: "a  b"}},
		{"client_secret", Mapping{Dialect: OAuth2, ClientSecret: "s"}},
		{"reuse_leeway", Mapping{ReuseLeeway: Duration(-time.Second)}},
	} {
		c.m.ApplyDefaults()
		err := c.m.Validate()
		var ke *KeyError
		if !errors.As(err, &ke) || ke.Key != c.key {
			t.Errorf("%+v: %v, want a KeyError for %s", c.m, err, c.key)
		}
	}
}

// Under names the keys as a profile does, both the key at fault and the key
// it clashes with.
func TestUnderPrefixesBothKeys(t *testing.T) {
	m := Mapping{Paths: TokenPaths{AccessToken: "token", RefreshToken: "token.refresh"}}
	m.ApplyDefaults()
	err := Under("backend", m.Validate())
	if got := err.Error(); !strings.HasPrefix(got, "backend.paths.refresh_token: ") || !strings.HasSuffix(got, "(backend.paths.access_token)") {
		t.Errorf("%s", got)
	}
	plain := errors.New("x")
	if Under("backend", plain) != plain {
		t.Error("Under changed an error that names no key")
	}
}

// A mapping survives being written as JSON and read back (the container
// gets it so), None included.
func TestParseJSONRoundTrip(t *testing.T) {
	m := Mapping{Paths: TokenPaths{AccessToken: "accessToken", RefreshToken: "refreshToken", ExpiresIn: None, TokenType: None}, SuccessFlag: None, ReuseLeeway: Duration(time.Second)}
	m.ApplyDefaults()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseJSON(raw)
	if err != nil || back != m {
		t.Errorf("round trip: %v\n%+v\n%+v", err, back, m)
	}
	for _, bad := range []string{`{"dialekt":"json"}`, `{"dialect":"json"} {}`, `[]`, `{"refresh":{"path":"/auth/login"}}`, `{"reuse_leeway":5}`} {
		if _, err := ParseJSON([]byte(bad)); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}

func body(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The request builders speak each dialect as its backend expects.
func TestRequests(t *testing.T) {
	ctx := t.Context()
	seed := Default()
	req, err := seed.NewLoginRequest(ctx, "http://127.0.0.1:1/", "a@example.com", "pw")
	if err != nil || req.URL.String() != "http://127.0.0.1:1/auth/login" || req.Header.Get("Content-Type") != "application/json" ||
		body(t, req.Body) != `{"email":"a@example.com","password":"pw"}` {
		t.Errorf("json login: %v %v", req, err)
	}
	req, _ = seed.NewLogoutRequest(ctx, "http://h", "rt")
	if body(t, req.Body) != `{"refresh_token":"rt"}` || req.URL.Path != "/auth/logout" {
		t.Errorf("json logout: %v", req.URL)
	}

	o := Mapping{Dialect: OAuth2, ClientID: "app id", ClientSecret: "s&=:", Scope: "openid offline_access"}
	o.ApplyDefaults()
	req, _ = o.NewLoginRequest(ctx, "http://h", "a@example.com", "p w")
	form, _ := url.ParseQuery(body(t, req.Body))
	id, secret, ok := req.BasicAuth()
	if req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || form.Get("grant_type") != "password" ||
		form.Get("username") != "a@example.com" || form.Get("password") != "p w" || form.Get("scope") != "openid offline_access" ||
		form.Has("client_secret") || !ok || id != url.QueryEscape("app id") || secret != url.QueryEscape("s&=:") {
		t.Errorf("password grant: %v basic %q %q %v", form, id, secret, ok)
	}
	req, _ = o.NewRefreshRequest(ctx, "http://h", "rt")
	if form, _ := url.ParseQuery(body(t, req.Body)); form.Get("grant_type") != "refresh_token" || form.Get("refresh_token") != "rt" || form.Has("scope") {
		t.Errorf("refresh grant: %v", form)
	}
	req, _ = o.NewLogoutRequest(ctx, "http://h", "rt")
	if form, _ := url.ParseQuery(body(t, req.Body)); req.URL.Path != "/oauth/revoke" || form.Get("token") != "rt" || form.Get("token_type_hint") != "refresh_token" {
		t.Errorf("revocation: %s %v", req.URL.Path, form)
	}
	o.ClientAuth = ClientAuthBody
	req, _ = o.NewRefreshRequest(ctx, "http://h", "rt")
	if form, _ := url.ParseQuery(body(t, req.Body)); form.Get("client_id") != "app id" || form.Get("client_secret") != "s&=:" || req.Header.Get("Authorization") != "" {
		t.Errorf("client_secret_post: %v", form)
	}
	public := Mapping{Dialect: OAuth2, ClientID: "spa"}
	public.ApplyDefaults()
	req, _ = public.NewRefreshRequest(ctx, "http://h", "rt")
	if form, _ := url.ParseQuery(body(t, req.Body)); form.Get("client_id") != "spa" || form.Has("client_secret") || req.Header.Get("Authorization") != "" {
		t.Errorf("public client: %v", form)
	}
	req, _ = public.NewMeRequest(ctx, "http://h/", "at")
	if req.URL.String() != "http://h/api/user/me" || req.Header.Get("Authorization") != "Bearer at" {
		t.Errorf("me: %v", req)
	}
}

func TestReadAnswers(t *testing.T) {
	seed := Default()
	tok, err := seed.ReadTokens([]byte(`{"success":true,"data":{"authorization":{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_in":900},"user":{"firstName":"Alice"}}}`))
	if err != nil || tok != (Tokens{Access: "a", Refresh: "r", TokenType: "Bearer", ExpiresIn: 900, HasExpiresIn: true, FirstName: "Alice"}) {
		t.Errorf("%+v %v", tok, err)
	}
	for answer, want := range map[string]string{
		`<html>`: "not JSON",
		`{"success":true,"data":{"authorization":{"refresh_token":"r"}}}`:                   `no access token (a non-empty string) at "data.authorization.access_token"`,
		`{"success":true,"data":{"authorization":{"access_token":"a","refresh_token":""}}}`: "no refresh token",
	} {
		if _, err := seed.ReadTokens([]byte(answer)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", answer, err, want)
		}
	}
	if code, msg := seed.ReadError([]byte(`{"success":false,"message":"m","error":"invalid_grant"}`)); code != "invalid_grant" || msg != "m" {
		t.Errorf("%q %q", code, msg)
	}
	if name, err := seed.ReadMe([]byte(`{"success":true,"data":{"firstName":"Alice"}}`)); name != "Alice" || err != nil {
		t.Errorf("%q %v", name, err)
	}
	o := ForDialect(OAuth2)
	tok, err = o.ReadTokens([]byte(`{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_in":60,"scope":"offline_access"}`))
	if err != nil || tok.Scope != "offline_access" || tok.ExpiresIn != 60 || tok.FirstName != "" {
		t.Errorf("%+v %v", tok, err)
	}
	if code, msg := o.ReadError([]byte(`{"error":"invalid_client","error_description":"d"}`)); code != "invalid_client" || msg != "d" {
		t.Errorf("%q %q", code, msg)
	}
	o.Paths.MeFirstName = None
	if _, err := o.ReadMe([]byte(`{}`)); err == nil {
		t.Error("ReadMe without a path")
	}
}

// An oauth2 backend's login is a password grant at its token endpoint, or at
// another route taking a form; a JSON login of its own (in front of an OAuth
// 2.0 server) gets the json dialect's body, without the client's credentials.
func TestPasswordGrantOrOwnLogin(t *testing.T) {
	ctx := t.Context()
	for _, c := range []struct {
		m     Mapping
		grant bool
		body  string
	}{
		{Mapping{Dialect: OAuth2}, true, "grant_type=password&username=a&password=p"},
		{Mapping{Dialect: OAuth2, Login: Endpoint{Path: "/login", Body: BodyForm}}, true, "grant_type=password&username=a&password=p"},
		{Mapping{Dialect: OAuth2, Login: Endpoint{Path: "/login", Body: BodyJSON}, LoginFields: LoginFields{Email: "email"}}, false, `{"email":"a","password":"p"}`},
		{Mapping{}, false, `{"email":"a","password":"p"}`},
	} {
		c.m.ClientID, c.m.ClientSecret = "", ""
		if c.m.IsOAuth2() {
			c.m.ClientID, c.m.ClientSecret = "app", "s"
		}
		c.m.ApplyDefaults()
		if err := c.m.Validate(); err != nil {
			t.Fatal(err)
		}
		req, err := c.m.NewLoginRequest(ctx, "http://h", "a", "p")
		if err != nil {
			t.Fatal(err)
		}
		_, _, basic := req.BasicAuth()
		if got := body(t, req.Body); c.m.PasswordGrant() != c.grant || got != c.body || basic != c.grant {
			t.Errorf("%+v: grant %v, body %s, Basic %v", c.m.Login, c.m.PasswordGrant(), got, basic)
		}
	}
}

// A body the caller writes itself (a malformed one) authenticates the client
// the mapping's way: HTTP Basic, or ClientParams in the form.
func TestClientAuthenticationOfOwnBodies(t *testing.T) {
	for _, c := range []struct {
		m      Mapping
		basic  bool
		params string
	}{
		{Mapping{Dialect: OAuth2, ClientID: "app", ClientSecret: "s"}, true, ""},
		{Mapping{Dialect: OAuth2, ClientID: "app", ClientSecret: "s", ClientAuth: ClientAuthBody}, false, "client_id=app&client_secret=s"},
		{Mapping{Dialect: OAuth2, ClientID: "spa"}, false, "client_id=spa"},
		{Mapping{Dialect: OAuth2}, false, ""},
		{Mapping{}, false, ""},
	} {
		c.m.ApplyDefaults()
		req, _ := http.NewRequest(http.MethodPost, "http://h/oauth/token", nil)
		if got, params := c.m.SetClientBasic(req), c.m.ClientParams().Encode(); got != c.basic || params != c.params {
			t.Errorf("%+v: Basic %v, params %q; want %v, %q", c.m, got, params, c.basic, c.params)
		}
	}
}
