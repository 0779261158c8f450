package fakebackend_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// The mappings every dialect test runs in: contract.md §1 as written, a
// JSON backend of its own (camelCase fields, other paths, a flat envelope
// without a success flag) and an OAuth 2.0 server (a confidential client
// with HTTP Basic, a secret that needs form-encoding, offline_access).
var (
	seedJSON   = dialect.Mapping{}
	customJSON = dialect.Mapping{
		Login:       dialect.Endpoint{Path: "/api/v1/session"},
		LoginFields: dialect.LoginFields{Email: "login", Password: "secret"},
		Refresh:     dialect.Endpoint{Path: "/api/v1/token/refresh"},
		Logout:      dialect.Endpoint{Method: "DELETE", Path: "/api/v1/session"},
		Me:          dialect.Endpoint{Path: "/api/v1/me"},
		Profile:     dialect.Endpoint{Method: "PUT", Path: "/api/v1/me"},
		Fields:      dialect.TokenFields{RefreshToken: "refreshToken"},
		Paths: dialect.TokenPaths{
			AccessToken: "accessToken", RefreshToken: "refreshToken", ExpiresIn: "expiresIn", TokenType: dialect.None,
			FirstName: "user.firstName", MeFirstName: "firstName",
		},
		Errors:      dialect.ErrorBody{Code: "code", Message: "detail"},
		SuccessFlag: dialect.None,
	}
	oauth2Server = dialect.Mapping{
		Dialect: dialect.OAuth2, ClientID: "refreshspec-app", ClientSecret: "s3cret/with&odd=chars", Scope: "openid offline_access",
	}
)

type dialectCase struct {
	name string
	m    dialect.Mapping
}

var dialectCases = []dialectCase{{"seed json", seedJSON}, {"custom json", customJSON}, {"oauth2", oauth2Server}}

// forEachDialect runs test once per mapping, each with a backend of its own.
func forEachDialect(t *testing.T, cfg fakebackend.Config, test func(t *testing.T, d *wireBackend)) {
	for _, c := range dialectCases {
		t.Run(c.name, func(t *testing.T) {
			cfg := cfg
			cfg.Mapping = c.m
			test(t, startWire(t, cfg))
		})
	}
}

// wireBackend talks to a fake backend the way a proxy does: with the
// requests of package dialect for the backend's mapping.
type wireBackend struct {
	*backend
	m dialect.Mapping
}

func startWire(t *testing.T, cfg fakebackend.Config) *wireBackend {
	t.Helper()
	m := cfg.Mapping
	m.ApplyDefaults()
	return &wireBackend{backend: startBackend(t, cfg), m: m}
}

// send does the request a dialect builder made.
func (d *wireBackend) send(req *http.Request, err error) answer {
	d.t.Helper()
	if err != nil {
		d.t.Fatal(err)
	}
	return d.backend.send(req)
}

func (d *wireBackend) login(email, password string) answer {
	d.t.Helper()
	return d.send(d.m.NewLoginRequest(bg, d.run.URL, email, password))
}

func (d *wireBackend) refresh(token string) answer {
	d.t.Helper()
	return d.send(d.m.NewRefreshRequest(bg, d.run.URL, token))
}

func (d *wireBackend) logout(token string) answer {
	d.t.Helper()
	return d.send(d.m.NewLogoutRequest(bg, d.run.URL, token))
}

func (d *wireBackend) me(access string) answer {
	d.t.Helper()
	return d.send(d.m.NewMeRequest(bg, d.run.URL, access))
}

// tokens reads a token answer, failing the test unless it is a 200 with both.
func (d *wireBackend) tokens(a answer) dialect.Tokens {
	d.t.Helper()
	if a.status != http.StatusOK {
		d.t.Fatalf("token answer %d: %s", a.status, a.raw)
	}
	tok, err := d.m.ReadTokens(a.raw)
	if err != nil {
		d.t.Fatalf("%v: %s", err, a.raw)
	}
	return tok
}

func (d *wireBackend) loginAlice() pair {
	d.t.Helper()
	tok := d.tokens(d.login(aliceEmail, alicePassword))
	return pair{tok.Access, tok.Refresh}
}

func (d *wireBackend) mustRefresh(token string) pair {
	d.t.Helper()
	tok := d.tokens(d.refresh(token))
	return pair{tok.Access, tok.Refresh}
}

// invalidGrantStatus is what a rejected refresh token gets in the dialect.
func (d *wireBackend) invalidGrantStatus() int {
	if d.m.IsOAuth2() {
		return http.StatusBadRequest
	}
	return http.StatusUnauthorized
}

// expectFailure checks a failure answer in the mapping's error body: the
// status, the code where the mapping puts it, a message, and the success
// flag false where the mapping has one.
func (d *wireBackend) expectFailure(a answer, status int, code string) {
	d.t.Helper()
	if a.status != status {
		d.t.Fatalf("status = %d, want %d; body %s", a.status, status, a.raw)
	}
	if a.header.Get("Content-Type") != "application/json" {
		d.t.Errorf("Content-Type = %q", a.header.Get("Content-Type"))
	}
	got, message := d.m.ReadError(a.raw)
	if got != code || (dialect.Has(d.m.Errors.Message) && message == "") {
		d.t.Errorf("error %q with message %q, want %q with a message; body %s", got, message, code, a.raw)
	}
	if dialect.Has(d.m.SuccessFlag) {
		if v, _ := dialect.Lookup(a.body, d.m.SuccessFlag); v != false {
			d.t.Errorf("%s = %v, want false; body %s", d.m.SuccessFlag, v, a.raw)
		}
	} else if a.get("success") != nil {
		d.t.Errorf("a success flag in a mapping without one: %s", a.raw)
	}
}

// expectJournal checks the last entry: the contract role, and the real
// method and path the request used.
func (d *wireBackend) expectJournal(role control.Route, e dialect.Endpoint, status int, outcome control.Outcome) control.Entry {
	d.t.Helper()
	last := d.last()
	expectEntry(d.t, last, role, status, outcome)
	if last.Method != e.Method || last.Path != e.Path {
		d.t.Errorf("journal: %s %s, want the real route %s", last.Method, last.Path, e)
	}
	return last
}

// raw sends a hand-made request to the backend.
func (d *wireBackend) raw(method, path, contentType, body string, header ...string) answer {
	d.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, d.run.URL+path, strings.NewReader(body))
	if err == nil && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; err == nil && i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return d.send(req, err)
}

// lookup is the value at a dotted path of the mapping in a JSON answer;
// nil when there is none.
func (d *wireBackend) lookup(a answer, path string) any {
	d.t.Helper()
	var doc any
	if err := json.Unmarshal(a.raw, &doc); err != nil {
		d.t.Fatalf("the answer is not JSON: %v: %s", err, a.raw)
	}
	v, _ := dialect.Lookup(doc, path)
	return v
}
