package proxysuite

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
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
	if c.Target == nil || c.Backend == nil {
		return errors.New("pre-flight: proxysuite.Config.Target and Backend must be set")
	}
	s := &suite{cfg: c, tokens: map[string]control.Token{}, ctx: ctx}
	defer func() {
		for _, ss := range s.sessions {
			ss.close()
		}
	}()
	p := s.profile()
	if err := c.Backend.Reset(ctx); err != nil {
		return &PreflightError{Step: "resetting the fake backend", Err: err}
	}
	ss, err := s.openSession()
	if err != nil {
		return &PreflightError{Step: "opening a client", Err: err}
	}

	if p.Proxy.CSRF.Enabled() {
		e := p.Proxy.LoginPage
		if _, err := ss.csrfToken(); err != nil {
			key, hint := "proxy.login_page.path", "the login page is where the suite fetches the CSRF token"
			if errors.Is(err, errNoCSRFToken) {
				key, hint = "proxy.csrf.source", "cookie:NAME, input:NAME (a hidden input of the login form) or meta:NAME"
			}
			return &PreflightError{Step: e.Method + " " + e.Path + " (the CSRF token)", Err: err, Key: key, Hint: hint}
		}
	}

	e := p.Proxy.Login
	step := e.Method + " " + e.Path
	since, err := lastSeq(ctx, c.Backend)
	if err != nil {
		return &PreflightError{Step: "reading the fake backend's journal", Err: err}
	}
	creds := p.Credentials
	resp, err := ss.sendLogin(creds.Email, creds.Password)
	if err != nil {
		return &PreflightError{Step: step, Err: err, Key: "proxy.login", Hint: "the login route the profile names did not answer"}
	}
	seen, err := c.Backend.Journal(ctx, since)
	if err != nil {
		return &PreflightError{Step: "reading the fake backend's journal", Err: err}
	}
	logins := onRoutes(seen, control.RouteLogin)
	diag := &PreflightError{Step: step, Status: resp.Status, Answer: answerOf(resp), Cookies: describeCookies(resp.Cookies), Backend: backendSaw(logins)}
	if resp.Status < 200 || resp.Status >= 400 {
		if !mappingAtFault(resp.Status, seen) {
			// The target reached the backend and failed all the same: its
			// login is wrong, not the mapping, which the scenarios say.
			return nil
		}
		diag.Key, diag.Hint = loginDiagnosis(resp.Status, logins, p.Proxy.CSRF.Enabled())
		return diag
	}
	s.learnCookieName(resp)
	if name := s.sessionCookieName(); name == "" || resp.setsCookie(name) == nil {
		diag.Key = "proxy.cookie_name"
		diag.Hint = "the login succeeded but set no cookie with a value"
		if p.Proxy.CookieName != "" {
			diag.Hint = fmt.Sprintf("the profile names the session cookie %q, which the login did not set", p.Proxy.CookieName)
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
func loginDiagnosis(status int, logins []control.Entry, csrf bool) (key, hint string) {
	switch {
	case status == http.StatusNotFound:
		return "proxy.login.path", "the target has no such route"
	case status == http.StatusMethodNotAllowed:
		return "proxy.login.method", "the route does not take this method"
	case len(logins) > 0 && logins[len(logins)-1].Outcome == control.OutcomeOK:
		return "proxy.login", "the backend accepted the login, and the target still refused it"
	case len(logins) > 0:
		return "credentials.email and credentials.password", "the backend refused the credentials the target passed on"
	case status == http.StatusForbidden && csrf:
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
