package reference

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

func TestLoginJSONStoresTokensOnlyInAnEncryptedCookie(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)

	a := p.do(request{method: http.MethodPost, path: "/login", body: aliceLoginJSON})
	if a.Status != http.StatusOK {
		t.Fatalf("login: %d %s", a.Status, a.Body)
	}
	var body struct {
		Success bool `json:"success"`
		User    user `json:"user"`
	}
	if err := json.Unmarshal([]byte(a.Body), &body); err != nil || !body.Success || body.User.FirstName != aliceFirstName || body.User.Email != aliceEmail {
		t.Fatalf("login body = %s (err %v)", a.Body, err)
	}
	c := a.SessionCookie()
	if c == nil {
		t.Fatalf("no session cookie: %v", a.SetCookieLines())
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Errorf("cookie attributes: HttpOnly=%v Secure=%v SameSite=%v Path=%q", c.HttpOnly, c.Secure, c.SameSite, c.Path)
	}
	if want := int(SessionLifetime / time.Second); c.MaxAge < want-5 || c.MaxAge > want {
		t.Errorf("Max-Age = %d, want about %d (the session's 7-day bound)", c.MaxAge, want)
	}
	if n := len(a.SetCookieLines()[0]); n > MaxCookieBytes {
		t.Errorf("Set-Cookie is %d bytes, over %d", n, MaxCookieBytes)
	}
	assertNoTokenLeak(t, ctl, a)
	if got := len(byRoute(journal(t, ctl, 0), control.RouteLogin)); got != 1 {
		t.Errorf("backend saw %d logins, want 1", got)
	}
}

func TestCookieSecureFalseDropsSecure(t *testing.T) {
	be, _ := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL, func(c *Config) { c.CookieSecure = false })
	if c := p.login(); c.Secure {
		t.Errorf("cookie is Secure with CookieSecure=false")
	}
}

func TestLoginForm(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)

	a := p.form("/login", nil, url.Values{"email": {aliceEmail}, "password": {alicePassword}})
	if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/profile" {
		t.Fatalf("form login: %d Location=%q", a.Status, a.Header.Get("Location"))
	}
	if c := a.SessionCookie(); c == nil || c.Value == "" {
		t.Fatalf("form login set no session cookie")
	}
	assertNoTokenLeak(t, ctl, a)

	bad := p.form("/login", nil, url.Values{"email": {aliceEmail}, "password": {"wrong"}})
	if bad.Status != http.StatusUnauthorized {
		t.Errorf("bad form login: status %d, want 401", bad.Status)
	}
	if !strings.Contains(bad.Body, `action="/login"`) || !strings.Contains(bad.Body, "wrong email or password") {
		t.Errorf("bad form login does not re-render the form with an error:\n%s", bad.Body)
	}
	if lines := bad.SetCookieLines(); len(lines) != 0 {
		t.Errorf("bad form login set cookies: %v", lines)
	}
}

func TestLoginBadCredentialsSetsNoCookie(t *testing.T) {
	be, _ := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)
	a := p.do(request{method: http.MethodPost, path: "/login", body: `{"email":"alice@example.com","password":"nope"}`})
	if a.Status != http.StatusUnauthorized || !strings.Contains(a.Body, `"success":false`) {
		t.Errorf("bad login: %d %s", a.Status, a.Body)
	}
	if lines := a.SetCookieLines(); len(lines) != 0 {
		t.Errorf("bad login set cookies: %v", lines)
	}
}

func TestBadInput(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)
	cookie := p.login()
	huge := strings.Repeat("a", MaxBodyBytes+1)
	cases := []struct {
		name   string
		req    request
		status int
	}{
		{"malformed login JSON", request{method: http.MethodPost, path: "/login", body: `{"email":`}, http.StatusBadRequest},
		{"login JSON of the wrong shape", request{method: http.MethodPost, path: "/login", body: `["alice"]`}, http.StatusBadRequest},
		{"login without password", request{method: http.MethodPost, path: "/login", body: `{"email":"alice@example.com"}`}, http.StatusBadRequest},
		{"two JSON values", request{method: http.MethodPost, path: "/login", body: aliceLoginJSON + aliceLoginJSON}, http.StatusBadRequest},
		{"login body over 1 MiB", request{method: http.MethodPost, path: "/login", body: `{"email":"` + huge + `"}`}, http.StatusRequestEntityTooLarge},
		{"profile body over 1 MiB", request{method: http.MethodPatch, path: "/api/profile", cookie: cookie, body: `{"firstName":"` + huge + `"}`}, http.StatusRequestEntityTooLarge},
		{"unknown route", request{method: http.MethodGet, path: "/nope", cookie: cookie}, http.StatusNotFound},
		{"unknown method", request{method: http.MethodDelete, path: "/api/me", cookie: cookie}, http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			since := lastSeq(t, ctl)
			a := p.do(tc.req)
			if a.Status != tc.status {
				t.Errorf("status %d, want %d: %.200s", a.Status, tc.status, a.Body)
			}
			if !strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") || !json.Valid([]byte(a.Body)) {
				t.Errorf("answer is not JSON: %q %.200s", a.Header.Get("Content-Type"), a.Body)
			}
			if es := journal(t, ctl, since); len(es) != 0 {
				t.Errorf("bad input reached the backend:\n%s", dumpJournal(t, es))
			}
		})
	}
}

func TestLoginPageAlwaysAnswers200(t *testing.T) {
	be, _ := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)
	good := p.login()
	for name, c := range map[string]*http.Cookie{
		"no cookie":     nil,
		"valid session": good,
		"garbage":       {Name: CookieName, Value: "garbage"},
		"cleared":       {Name: CookieName, Value: ""},
		"flipped":       {Name: CookieName, Value: flipByte(good.Value)},
	} {
		t.Run(name, func(t *testing.T) {
			a := p.get("/login", c)
			if a.Status != http.StatusOK {
				t.Fatalf("GET /login: %d (Location %q)", a.Status, a.Header.Get("Location"))
			}
			for _, want := range []string{`method="post"`, `action="/login"`, `name="email"`, `name="password"`, `type="submit"`} {
				if !strings.Contains(a.Body, want) {
					t.Errorf("login page lacks %s", want)
				}
			}
		})
	}
}

func TestLogout(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)

	t.Run("api", func(t *testing.T) {
		cookie := p.login()
		refresh := lastIssued(t, ctl, control.Refresh)
		since := lastSeq(t, ctl)
		a := p.do(request{method: http.MethodPost, path: "/logout", cookie: cookie})
		if a.Status != http.StatusOK || !a.Cleared() {
			t.Fatalf("logout: %d cleared=%v %v", a.Status, a.Cleared(), a.SetCookieLines())
		}
		logouts := byRoute(journal(t, ctl, since), control.RouteLogout)
		if len(logouts) != 1 || logouts[0].Token != refresh {
			t.Fatalf("backend logout calls: %s", dumpJournal(t, logouts))
		}
		if st := tokenState(t, ctl, refresh); st != control.StateRevoked {
			t.Errorf("refresh token after logout: %s, want revoked", st)
		}
	})
	t.Run("form", func(t *testing.T) {
		cookie := p.login()
		a := p.form("/logout", cookie, url.Values{})
		if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/login" || !a.Cleared() {
			t.Fatalf("form logout: %d Location=%q cleared=%v", a.Status, a.Header.Get("Location"), a.Cleared())
		}
	})
	t.Run("backend failure still clears", func(t *testing.T) {
		cookie := p.login()
		queueFault(t, ctl, control.Fault{Route: control.RouteLogout, Kind: control.FaultStatus, Status: 500})
		a := p.do(request{method: http.MethodPost, path: "/logout", cookie: cookie})
		if a.Status != http.StatusOK || !a.Cleared() {
			t.Fatalf("logout with backend 500: %d cleared=%v", a.Status, a.Cleared())
		}
	})
	t.Run("without a session", func(t *testing.T) {
		since := lastSeq(t, ctl)
		a := p.do(request{method: http.MethodPost, path: "/logout"})
		if a.Status != http.StatusOK {
			t.Fatalf("logout without session: %d", a.Status)
		}
		if es := journal(t, ctl, since); len(es) != 0 {
			t.Errorf("logout without session called the backend:\n%s", dumpJournal(t, es))
		}
	})
}
