package proxysuite

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
)

// preflightTimeout bounds the pre-flight: the login page and a login.
const preflightTimeout = time.Minute

// PreflightError is a pre-flight login that failed: the one diagnosis a
// run gives instead of a failure of every scenario at its login. Key is the
// profile key to check.
type PreflightError struct {
	Step    string // the request that failed: "POST /login"
	Status  int    // its answer's status; 0 when none came
	Answer  string // the answer's content type and the start of its body
	Cookies string // the Set-Cookies of the answer
	Backend string // what the fake backend saw of it
	Key     string // the profile key to check: "proxy.login_fields.email"
	Hint    string // why that key
	Err     error  // the transport or set-up error, when there was no answer
}

func (e *PreflightError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pre-flight: logging in with the profile's mapping failed at %s", e.Step)
	switch {
	case e.Err != nil:
		fmt.Fprintf(&b, ": %v", e.Err)
	case e.Status != 0:
		fmt.Fprintf(&b, ": it answered %d %s", e.Status, e.Answer)
	}
	if e.Cookies != "" {
		fmt.Fprintf(&b, "\n  cookies received: %s", e.Cookies)
	}
	if e.Backend != "" {
		fmt.Fprintf(&b, "\n  the fake backend saw: %s", e.Backend)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, "\n  check %s: %s", e.Key, e.Hint)
	}
	return b.String()
}

func (e *PreflightError) Unwrap() error { return e.Err }

// Preflight logs in once with the profile's mapping, as every scenario
// will, before any of them runs: when the mapping is wrong (a route, a
// field name, the cookie's name, a CSRF token the target wants), every
// scenario would fail at its login with the same message. It returns a
// *PreflightError that names the step, the status, the cookies received and
// the profile key to check. A login that reached the backend and failed
// all the same is the target's failure, not the mapping's: Preflight lets
// the scenarios say so. `refreshspec proxy` calls it before the run and
// exits 2 on its error; the specs call it before the first of them when
// nobody did, and abort the suite on its error.
func Preflight(ctx context.Context, cfg *Config) error {
	err := cfg.runPreflight(ctx)
	cfg.preflight.Lock()
	defer cfg.preflight.Unlock()
	cfg.preflight.done, cfg.preflight.err = true, err
	return err
}

// preflightOnce runs the pre-flight unless it ran, and returns its error.
func (c *Config) preflightOnce() error {
	c.preflight.Lock()
	done, err := c.preflight.done, c.preflight.err
	c.preflight.Unlock()
	if done {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), preflightTimeout)
	defer cancel()
	return Preflight(ctx, c)
}

func (c *Config) runPreflight(ctx context.Context) error {
	if c.Target == nil || c.Control == nil {
		return errors.New("pre-flight: proxysuite.Config.Target and Backend must be set")
	}
	s := &suite{cfg: c, tokens: map[string]control.Token{}, ctx: ctx}
	defer func() {
		for _, ss := range s.sessions {
			ss.close()
		}
	}()
	if err := c.Control.Reset(ctx); err != nil {
		return &PreflightError{Step: "resetting the fake backend", Err: err}
	}
	ss, err := s.openSession()
	if err != nil {
		return &PreflightError{Step: "opening a client", Err: err}
	}
	if err := s.preflightCSRF(ss); err != nil {
		return err
	}
	return s.preflightLogin(ctx, ss)
}

// preflightCSRF fetches the login page's CSRF token, when the profile
// asks for one, and names the key to check when it cannot.
func (s *suite) preflightCSRF(ss *session) error {
	p := s.profile()
	if !p.Proxy.CSRF.Enabled() {
		return nil
	}
	if _, err := ss.csrfToken(); err != nil {
		e := p.Proxy.LoginPage
		step := e.Method + " " + e.Path
		key, hint := "proxy.login_page.path", "the login page is where the suite fetches the CSRF token"
		if path, _, ok := p.Proxy.CSRF.JSONSource(); ok {
			step, key, hint = "GET "+path, "proxy.csrf.source", "json:PATH#FIELD names the endpoint that answers the token in JSON"
		}
		if errors.Is(err, errNoCSRFToken) {
			key, hint = "proxy.csrf.source", "cookie:NAME, input:NAME (a hidden input of the login form), meta:NAME or json:PATH#FIELD (a JSON endpoint, json:/auth/csrf#csrfToken)"
		}
		return &PreflightError{Step: step + " (the CSRF token)", Err: err, Key: key, Hint: hint}
	}
	return nil
}

// preflightLogin logs in once with the profile's credentials and judges
// the answer: nil when it worked, or when it failed for a reason the
// scenarios judge; one diagnosis when the mapping is at fault.
func (s *suite) preflightLogin(ctx context.Context, ss *session) error {
	c, p := s.cfg, s.profile()
	e := p.Proxy.Login
	step := e.Method + " " + e.Path
	since, err := lastSeq(ctx, c.Control)
	if err != nil {
		return &PreflightError{Step: "reading the fake backend's journal", Err: err}
	}
	creds := p.Credentials
	resp, err := ss.sendLogin(creds.Email, creds.Password)
	if err != nil {
		return &PreflightError{Step: step, Err: err, Key: "proxy.login", Hint: "the login route the profile names did not answer"}
	}
	seen, err := c.Control.Journal(ctx, since)
	if err != nil {
		return &PreflightError{Step: "reading the fake backend's journal", Err: err}
	}
	logins := onRoutes(seen, control.RouteLogin)
	diag := &PreflightError{Step: step, Status: resp.Status, Answer: answerOf(resp), Cookies: describeCookies(resp.Cookies), Backend: backendSaw(logins)}
	if resp.Status < 200 || resp.Status >= 400 {
		if unserved := onRoutes(seen, control.RouteOther); len(unserved) > 0 {
			// The target called the backend where the profile's mapping
			// serves nothing: every scenario would fail at its login
			// with a 502 that says nothing of why.
			diag.Backend, diag.Key, diag.Hint = unservedDiagnosis(unserved, c.backendMapping())
			return diag
		}
		if !mappingAtFault(resp.Status, seen) {
			// The target reached the backend and failed all the same: its
			// login is wrong, not the mapping, which the scenarios say.
			return nil
		}
		diag.Key, diag.Hint = loginDiagnosis(resp.Status, logins, p.Proxy.CSRF)
		return diag
	}
	s.learnCookieName(resp)
	if name := s.sessionCookieName(); name == "" || !s.setsSession(resp) {
		diag.Key = "proxy.cookie_name"
		diag.Hint = "the login succeeded but set no cookie with a value"
		if p.Proxy.CookieName != "" {
			diag.Hint = fmt.Sprintf("the profile names the session cookie %q, which the login did not set; it set %s (proxy.cookie_name takes a name, several, or a pattern such as *.session-token; __Secure-/__Host- prefixes and NAME.sig, NAME.0, NAME_0 companions are understood)",
				p.Proxy.CookieName, sessionNamesSeen(resp))
		}
		return diag
	}
	return nil
}

// mappingAtFault reports whether a failed login points at the profile's
// mapping rather than at the target: the route is not there (404, 405),
// the body type is not taken (415), or the target refused the login without
// calling the backend at all (seen: what the backend journaled meanwhile),
// as it does for fields it does not read or a CSRF token it wants.
func mappingAtFault(status int, seen []control.Entry) bool {
	switch status {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusUnsupportedMediaType:
		return true
	}
	return status >= 400 && status < 500 && len(seen) == 0
}

// loginDiagnosis names the profile key a failed login points at, from its
// status and what the backend saw of it.
func loginDiagnosis(status int, logins []control.Entry, csrf profile.CSRF) (key, hint string) {
	switch {
	case status == http.StatusNotFound:
		return "proxy.login.path", "the target has no such route"
	case status == http.StatusMethodNotAllowed:
		return "proxy.login.method", "the route does not take this method"
	case len(logins) > 0 && logins[len(logins)-1].Outcome == control.OutcomeOK:
		return "proxy.login", "the backend accepted the login, and the target still refused it"
	case len(logins) > 0:
		return "credentials.email and credentials.password", "the backend refused the credentials the target passed on"
	case status == http.StatusForbidden && csrf.Enabled() && !csrf.Carries(profile.CSRFOnLogin):
		return "proxy.csrf.requests", "the target refused the login before calling the backend, as a CSRF check does, and proxy.csrf.requests leaves the login without the token"
	case status == http.StatusForbidden && csrf.Enabled():
		return "proxy.csrf.send", "the target refused the login before calling the backend, as a CSRF check refusing the token does"
	case status == http.StatusForbidden:
		return "proxy.csrf", "the target refused the login before calling the backend, as a CSRF check does; the profile gives no proxy.csrf"
	case status == http.StatusUnsupportedMediaType:
		return "proxy.login.body", "the route does not take this body type (json or form)"
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity || status == http.StatusUnauthorized:
		return "proxy.login_fields.email and proxy.login_fields.password", "the target refused the login before calling the backend: the body's fields (or proxy.login.body, json or form) are not what it reads"
	}
	return "proxy.login", "the target refused the login before calling the backend"
}

// unservedDiagnosis explains the target's backend calls that the fake
// backend does not serve (control.RouteOther): the target speaks another
// dialect, or calls other routes, than the profile's backend section maps.
// It names what the target called, what the profile maps instead and the
// keys to check: a call that is another dialect's route, or sends another
// dialect's body, points at backend.dialect; one on a mapped path with
// another method at that role's method; any other at the login's path, the
// only role a pre-flight calls.
func unservedDiagnosis(unserved []control.Entry, m dialect.Mapping) (backend, key, hint string) {
	var calls, keys, notes []string
	addKey := func(k string) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, e := range unserved {
		call := e.Method + " " + e.Path
		if slices.Contains(calls, call) {
			continue
		}
		calls = append(calls, call)
		if role, other, found := dialectRole(e, m.Dialect); found {
			addKey("backend.dialect")
			addKey("backend." + role)
			notes = append(notes, fmt.Sprintf("%s is the %s dialect's %s, which the profile maps to %s (backend.%s, backend.dialect: %s)",
				call, other, role, mappedRoles(m)[role], role, m.Dialect))
			continue
		}
		if kind, other := bodyDialect(e, m); other != "" {
			addKey("backend.dialect")
			addKey("backend.login.path")
			notes = append(notes, fmt.Sprintf("%s sends %s, as the %s dialect does, but backend.dialect is %s and maps the login to %s",
				call, kind, other, m.Dialect, m.Login))
			continue
		}
		if role, e2, ok := roleOnPath(m, e.Path); ok {
			addKey("backend." + role + ".method")
			notes = append(notes, fmt.Sprintf("the profile maps %s to %s (backend.%s)", e.Path, e2, role))
			continue
		}
		// The pre-flight only logs in: the call was the login's.
		addKey("backend.login.path")
		notes = append(notes, fmt.Sprintf("no role of the profile's mapping is at %s; it maps %s", call, describeMapping(m)))
	}
	backend = fmt.Sprintf("%s, which the profile's mapping does not serve (answered %d)", strings.Join(calls, ", "), unserved[0].Status)
	hint = fmt.Sprintf("the target called %s, but the fake backend serves the profile's backend mapping: %s", strings.Join(calls, " and "), strings.Join(notes, "; "))
	return backend, listOf(keys, "and"), hint
}

// listOf joins items as a sentence does: "a", "a and b", "a, b and c"
// (with "or" for conjunction: "502, 503 or 504").
func listOf(items []string, conjunction string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conjunction + " " + items[len(items)-1]
}

// bodyDialect tells a login call of another dialect than m's by its body:
// a password grant (grant_type=password, form-encoded) is the oauth2
// dialect's, a JSON object where m wants a password grant the json
// dialect's. kind says what the body is; other is "" when it fits m.
func bodyDialect(e control.Entry, m dialect.Mapping) (kind string, other dialect.Name) {
	form, err := url.ParseQuery(e.Body)
	switch {
	case !m.IsOAuth2() && err == nil && form.Get("grant_type") != "":
		return "an OAuth 2.0 token request (grant_type=" + form.Get("grant_type") + ")", dialect.OAuth2
	case m.PasswordGrant() && strings.HasPrefix(strings.TrimSpace(e.Body), "{"):
		return "a JSON object", dialect.JSON
	}
	return "", ""
}

// roleNames are the roles of a backend mapping, in the order of contract.md §1.
var roleNames = []string{"login", "refresh", "logout", "me", "profile"}

// mappedRoles maps each role of m to its route.
func mappedRoles(m dialect.Mapping) map[string]dialect.Endpoint {
	return map[string]dialect.Endpoint{"login": m.Login, "refresh": m.Refresh, "logout": m.Logout, "me": m.Me, "profile": m.Profile}
}

// dialectRole finds the role whose route e is in a dialect other than own's
// defaults.
func dialectRole(e control.Entry, own dialect.Name) (role string, d dialect.Name, found bool) {
	for _, d := range []dialect.Name{dialect.JSON, dialect.OAuth2} {
		if d == own {
			continue
		}
		routes := mappedRoles(dialect.ForDialect(d))
		for _, r := range roleNames {
			if routes[r].Method == e.Method && routes[r].Path == e.Path {
				return r, d, true
			}
		}
	}
	return "", "", false
}

// roleOnPath finds the role m maps to path, whatever its method.
func roleOnPath(m dialect.Mapping, path string) (string, dialect.Endpoint, bool) {
	routes := mappedRoles(m)
	for _, r := range roleNames {
		if routes[r].Path == path {
			return r, routes[r], true
		}
	}
	return "", dialect.Endpoint{}, false
}

// describeMapping lists m's roles and routes: "login at POST /oauth/token,
// refresh at POST /oauth/token, ...".
func describeMapping(m dialect.Mapping) string {
	routes := mappedRoles(m)
	parts := make([]string, len(roleNames))
	for i, r := range roleNames {
		parts[i] = fmt.Sprintf("%s at %s", r, routes[r])
	}
	return strings.Join(parts, ", ")
}

// backendSaw says what the backend saw of a login.
func backendSaw(logins []control.Entry) string {
	if len(logins) == 0 {
		return "no POST /auth/login"
	}
	parts := make([]string, len(logins))
	for i, e := range logins {
		parts[i] = fmt.Sprintf("POST /auth/login answered %d (%s)", e.Status, e.Outcome)
	}
	return strings.Join(parts, ", ")
}

// answerOf is a response's content type and the start of its body.
func answerOf(r *response) string {
	return fmt.Sprintf("%s: %.200s", r.Header.Get("Content-Type"), strings.Join(strings.Fields(string(r.Body)), " "))
}

// lastSeq is the sequence number of the backend's newest journal entry.
func lastSeq(ctx context.Context, b *control.Client) (int, error) {
	es, err := b.Journal(ctx, 0)
	if err != nil || len(es) == 0 {
		return 0, err
	}
	return es[len(es)-1].Seq, nil
}
