package proxysuite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/target"
)

func TestTokenInPage(t *testing.T) {
	page := []byte(`<html><head><meta name="csrf-token" content="m3t4"></head><body>
<form><input type="hidden" name="authenticity_token" value="r41ls"><input name="email"></form></body></html>`)
	if got := tokenInPage(page, profile.CSRFInput, "authenticity_token"); got != "r41ls" {
		t.Errorf("input token = %q", got)
	}
	if got := tokenInPage(page, profile.CSRFMeta, "csrf-token"); got != "m3t4" {
		t.Errorf("meta token = %q", got)
	}
	if got := tokenInPage(page, profile.CSRFInput, "_csrf"); got != "" {
		t.Errorf("missing token = %q", got)
	}
}

func TestWithCSRFKeepsTheBodysShape(t *testing.T) {
	field := profile.CSRF{Source: "input:_csrf", Send: "field:_csrf"}
	// A JSON body keeps its bytes, with the member added at its end.
	body, ct, _, err := withCSRF(field, "t0k", []byte(`{"lastName":"P","nickname":"x"}`), "application/json")
	if err != nil || string(body) != `{"lastName":"P","nickname":"x","_csrf":"t0k"}` || ct != "application/json" {
		t.Errorf("JSON: %s %s %v", body, ct, err)
	}
	var doc map[string]string
	if err := json.Unmarshal(body, &doc); err != nil || doc["_csrf"] != "t0k" {
		t.Errorf("the JSON body with the field does not parse: %v", err)
	}
	body, _, _, err = withCSRF(field, "t0k", []byte(`{}`), "application/json")
	if err != nil || string(body) != `{"_csrf":"t0k"}` {
		t.Errorf("empty JSON object: %s %v", body, err)
	}
	body, ct, _, err = withCSRF(field, "a b", []byte("email=a%40b&password=p"), "application/x-www-form-urlencoded")
	v, _ := url.ParseQuery(string(body))
	if err != nil || v.Get("_csrf") != "a b" || v.Get("email") != "a@b" || ct != "application/x-www-form-urlencoded" {
		t.Errorf("form: %s %v", body, err)
	}
	// A logout without a body gets a form holding the field alone.
	body, ct, _, err = withCSRF(field, "t0k", nil, "")
	if err != nil || string(body) != "_csrf=t0k" || ct != "application/x-www-form-urlencoded" {
		t.Errorf("no body: %s %s %v", body, ct, err)
	}
	if _, _, _, err := withCSRF(field, "t0k", []byte(`[1]`), "application/json"); err == nil || !strings.Contains(err.Error(), "proxy.csrf.send") {
		t.Errorf("a JSON array: %v, want an error naming proxy.csrf.send", err)
	}

	header := profile.CSRF{Source: "cookie:XSRF-TOKEN", Send: "header:x-xsrf-token"}
	body, _, h, err := withCSRF(header, "t0k", []byte(`{"a":1}`), "application/json")
	if err != nil || string(body) != `{"a":1}` || h.Get("X-Xsrf-Token") != "t0k" {
		t.Errorf("header: %s %v %v", body, h, err)
	}
}

// fixedTarget is a target at a URL that runs with env.
type fixedTarget struct {
	url string
	env map[string]string
}

func (f fixedTarget) URL() string { return f.url }
func (f fixedTarget) Restart(context.Context, map[string]string) error {
	return target.ErrNotRestartable
}
func (f fixedTarget) Env() map[string]string { return f.env }

// A login page that sends a signed-in user on (Laravel's guest middleware)
// is followed within the target to the page it lands on, query and all,
// whose token is the one to send; and every unsafe request carries the
// same-origin Origin and Referer a browser sends, https at the TLS edge.
func TestCSRFTokenFollowsTheLoginPagesRedirectAndPostsCarryOrigin(t *testing.T) {
	var origin, referer string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/login":
			if _, err := r.Cookie("sid"); err == nil {
				http.Redirect(w, r, "/home?from=login", http.StatusSeeOther)
				return
			}
			fmt.Fprint(w, `<meta name="csrf-token" content="anonymous">`)
		case r.Method == http.MethodGet && r.URL.Path == "/home" && r.URL.RawQuery == "from=login":
			fmt.Fprint(w, `<meta name="csrf-token" content="signed-in">`)
		case r.Method == http.MethodPost:
			origin, referer = r.Header.Get("Origin"), r.Header.Get("Referer")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	prof, err := profile.Parse([]byte("proxy:\n  csrf:\n    source: meta:csrf-token\n    send: header:X-CSRF-Token\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		secure     string
		wantOrigin string
	}{
		{"false", srv.URL},
		{"true", "https://" + strings.TrimPrefix(srv.URL, "http://")},
	} {
		s := &suite{ctx: t.Context(), cfg: &Config{Target: fixedTarget{srv.URL, map[string]string{"COOKIE_SECURE": tc.secure}}, Profile: prof}}
		ss, err := s.openSession()
		if err != nil {
			t.Fatal(err)
		}
		if tok, err := ss.csrfToken(); err != nil || tok != "anonymous" {
			t.Errorf("COOKIE_SECURE=%s, no session: token %q, %v; want the login page's", tc.secure, tok, err)
		}
		u, _ := url.Parse(srv.URL)
		ss.jar.SetCookies(u, []*http.Cookie{{Name: "sid", Value: "1", Path: "/"}})
		if tok, err := ss.csrfToken(); err != nil || tok != "signed-in" {
			t.Errorf("COOKIE_SECURE=%s, signed in: token %q, %v; want the token of the page /login redirects to", tc.secure, tok, err)
		}
		if _, err := ss.send(http.MethodPost, "/logout", nil, ""); err != nil {
			t.Fatal(err)
		}
		if origin != tc.wantOrigin || referer != tc.wantOrigin+"/" {
			t.Errorf("COOKIE_SECURE=%s: a POST carried Origin %q and Referer %q; want %q and %q/", tc.secure, origin, referer, tc.wantOrigin, tc.wantOrigin)
		}
		ss.close()
	}
}

// authjsCSRF is Auth.js's CSRF endpoint and check, as a test server: GET
// /auth/csrf answers {"csrfToken": ...} and sets authjs.csrf-token =
// token|hash when the request brings none (the same token again when it
// does); a POST wants the csrfToken form field equal to the cookie's
// token. It records what each POST carried.
type authjsCSRF struct {
	issued int            // tokens minted
	posts  map[string]int // path → the status answered
	bodies map[string]string
}

func (a *authjsCSRF) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cookieToken := ""
	if c, err := r.Cookie("authjs.csrf-token"); err == nil {
		cookieToken, _, _ = strings.Cut(c.Value, "|")
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/auth/csrf":
		if cookieToken == "" {
			a.issued++
			cookieToken = fmt.Sprintf("tok%d", a.issued)
			http.SetCookie(w, &http.Cookie{Name: "authjs.csrf-token", Value: cookieToken + "|h4sh", Path: "/", HttpOnly: true})
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"csrfToken":%q}`, cookieToken)
	case r.Method == http.MethodGet && r.URL.Path == "/broken/csrf":
		fmt.Fprint(w, `<html>not json</html>`)
	case r.Method == http.MethodPost || r.Method == http.MethodPatch:
		raw, _ := io.ReadAll(r.Body)
		a.bodies[r.URL.Path] = string(raw)
		status := http.StatusOK
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			v, _ := url.ParseQuery(string(raw))
			if v.Get("csrfToken") == "" || v.Get("csrfToken") != cookieToken {
				status = http.StatusForbidden
			}
		}
		a.posts[r.URL.Path] = status
		w.WriteHeader(status)
	default:
		http.NotFound(w, r)
	}
}

// proxy.csrf.source json:PATH#FIELD reads the token from the endpoint's
// JSON answer in the session's jar, which keeps the double-submit cookie
// the endpoint sets and sends it back, so the token and the cookie match;
// proxy.csrf.requests leaves the update without the token, its body as
// the spec wrote it.
func TestCSRFTokenFromAJSONEndpointOnTheRequestsTheProfileLists(t *testing.T) {
	a := &authjsCSRF{posts: map[string]int{}, bodies: map[string]string{}}
	srv := httptest.NewServer(a)
	defer srv.Close()
	prof, err := profile.Parse([]byte(`proxy:
  login: {path: /auth/callback/credentials, body: form}
  logout: {path: /auth/signout}
  csrf:
    source: 'json:/auth/csrf#csrfToken'
    send: 'field:csrfToken'
    requests: [login, logout]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{ctx: t.Context(), cfg: &Config{Target: fixedTarget{srv.URL, map[string]string{"COOKIE_SECURE": "false"}}, Profile: prof}}
	ss, err := s.openSession()
	if err != nil {
		t.Fatal(err)
	}
	defer ss.close()
	if tok, err := ss.csrfToken(); err != nil || tok != "tok1" {
		t.Fatalf("token %q, %v; want tok1 from GET /auth/csrf", tok, err)
	}
	if tok, err := ss.csrfToken(); err != nil || tok != "tok1" || a.issued != 1 {
		t.Errorf("a second fetch: token %q, %v, %d tokens minted; want tok1 again, the jar sending the endpoint's cookie back", tok, err, a.issued)
	}
	if _, err := ss.sendLogin("alice@example.com", "pw"); err != nil || a.posts["/auth/callback/credentials"] != http.StatusOK {
		t.Errorf("the login answered %d (%v), body %q; want 200 with the csrfToken field", a.posts["/auth/callback/credentials"], err, a.bodies["/auth/callback/credentials"])
	}
	if _, err := ss.sendProtected(profile.CSRFOnLogout, http.MethodPost, "/auth/signout", nil, ""); err != nil || a.posts["/auth/signout"] != http.StatusOK {
		t.Errorf("the logout answered %d (%v), body %q; want 200 with the csrfToken field", a.posts["/auth/signout"], err, a.bodies["/auth/signout"])
	}
	if _, err := ss.sendProtected(profile.CSRFOnUpdate, http.MethodPatch, "/api/profile", []byte(`{"lastName":"P"}`), "application/json"); err != nil || a.bodies["/api/profile"] != `{"lastName":"P"}` {
		t.Errorf("the update went out as %q (%v); want its body as written, without the token, which proxy.csrf.requests leaves out", a.bodies["/api/profile"], err)
	}

	for source, want := range map[string]string{
		"json:/auth/csrf#token":       `proxy.csrf.source "json:/auth/csrf#token" finds no string at token there (the answer's top-level keys: csrfToken)`,
		"json:/broken/csrf#csrfToken": `wants JSON there and the answer is`,
		"json:/missing#csrfToken":     `GET /missing answered 404; want a 200 page with the token (proxy.csrf.source;`,
	} {
		p := *prof
		p.Proxy.CSRF.Source = source
		s := &suite{ctx: t.Context(), cfg: &Config{Target: fixedTarget{srv.URL, nil}, Profile: &p}}
		ss, err := s.openSession()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ss.csrfToken(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("source %s: %v; want an error with %q", source, err, want)
		}
		ss.close()
	}
}

// The pre-flight names the JSON endpoint as the step and proxy.csrf.source
// as the key when the token is not where the profile says; a login refused
// with 403 while proxy.csrf.requests leaves it without the token points at
// that key.
func TestPreflightNamesTheJSONSourceAndTheRequestsKey(t *testing.T) {
	srv := httptest.NewServer(&authjsCSRF{posts: map[string]int{}, bodies: map[string]string{}})
	defer srv.Close()
	prof, err := profile.Parse([]byte("proxy:\n  csrf: {source: 'json:/auth/csrf#token', send: 'field:csrfToken'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{ctx: t.Context(), cfg: &Config{Target: fixedTarget{srv.URL, nil}, Profile: prof}}
	ss, err := s.openSession()
	if err != nil {
		t.Fatal(err)
	}
	defer ss.close()
	var pe *PreflightError
	if err := s.preflightCSRF(ss); !errors.As(err, &pe) || pe.Step != "GET /auth/csrf (the CSRF token)" || pe.Key != "proxy.csrf.source" || !strings.Contains(pe.Hint, "json:PATH#FIELD") {
		t.Errorf("pre-flight: %#v; want the step GET /auth/csrf and the key proxy.csrf.source, the hint naming json:PATH#FIELD", err)
	}
	csrf := profile.CSRF{Source: "json:/auth/csrf#csrfToken", Send: "field:csrfToken", Requests: []string{profile.CSRFOnLogout}}
	if key, _ := loginDiagnosis(http.StatusForbidden, nil, csrf); key != "proxy.csrf.requests" {
		t.Errorf("a 403 login the profile sends without the token points at %s, want proxy.csrf.requests", key)
	}
	csrf.Requests = nil
	if key, _ := loginDiagnosis(http.StatusForbidden, nil, csrf); key != "proxy.csrf.send" {
		t.Errorf("a 403 login with the token points at %s, want proxy.csrf.send", key)
	}
}
