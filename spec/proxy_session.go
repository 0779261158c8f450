package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// pxSession is one client of the target, as a browser would be: a cookie
// jar, redirects not followed (the specs look at them), a timeout per
// request, and every response recorded for the leak scan.
type pxSession struct {
	s      *pxSuite
	base   *url.URL
	jar    *cookiejar.Jar
	client *http.Client
}

// pxResponse is what the client got for one request.
type pxResponse struct {
	Request string // "GET /api/me", for messages
	Status  int
	Header  http.Header
	Body    []byte
	Cookies []*http.Cookie // parsed Set-Cookie headers
}

// pxRecorded is one response kept for the leak scan.
type pxRecorded struct {
	Where  string
	Header http.Header
	Body   []byte
}

// pxLogin is a session's login as the backend saw it.
type pxLogin struct {
	Resp    *pxResponse
	Family  string
	Access  string
	Refresh string
}

func (s *pxSuite) newSession() *pxSession {
	GinkgoHelper()
	base, err := url.Parse(strings.TrimRight(s.cfg.Target.URL(), "/"))
	Expect(err).NotTo(HaveOccurred(), "the target's URL")
	jar, err := cookiejar.New(nil)
	Expect(err).NotTo(HaveOccurred())
	ss := &pxSession{
		s:    s,
		base: base,
		jar:  jar,
		// Each session has its own transport: a restart of the target must
		// not leave it with connections to the old process.
		client: &http.Client{
			Jar:           jar,
			Timeout:       orDefault(s.cfg.RequestTimeout, 30*time.Second),
			Transport:     &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	s.mu.Lock()
	s.sessions = append(s.sessions, ss)
	s.mu.Unlock()
	return ss
}

func (ss *pxSession) close() { ss.client.CloseIdleConnections() }

// send makes one request and records the response; it does not assert, so
// that it can run in goroutines.
func (ss *pxSession) send(method, path string, body []byte, contentType string) (*pxResponse, error) {
	u := ss.base.JoinPath(path)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ss.s.ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "*/*")
	what := method + " " + path
	resp, err := ss.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer: %w", what, err)
	}
	r := &pxResponse{Request: what, Status: resp.StatusCode, Header: resp.Header, Body: raw, Cookies: resp.Cookies()}
	ss.s.record(pxRecorded{Where: fmt.Sprintf("%s → %d", what, r.Status), Header: resp.Header.Clone(), Body: raw})
	return r, nil
}

func (s *pxSuite) record(r pxRecorded) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.responses = append(s.responses, r)
}

// do is send that fails the spec on a transport error.
func (ss *pxSession) do(method, path string, body []byte, contentType string) *pxResponse {
	GinkgoHelper()
	r, err := ss.send(method, path, body, contentType)
	Expect(err).NotTo(HaveOccurred(), "the target should answer %s %s", method, path)
	return r
}

// api requests the profile's api route (GET /api/me).
func (ss *pxSession) api() *pxResponse {
	GinkgoHelper()
	e := ss.s.profile().Proxy.Me
	return ss.do(e.Method, e.Path, nil, "")
}

// page requests the profile's server-rendered page (GET /profile).
func (ss *pxSession) page() *pxResponse {
	GinkgoHelper()
	e := ss.s.profile().Proxy.ProfilePage
	return ss.do(e.Method, e.Path, nil, "")
}

// loginPage requests the login page (GET /login).
func (ss *pxSession) loginPage() *pxResponse {
	GinkgoHelper()
	e := ss.s.profile().Proxy.LoginPage
	return ss.do(e.Method, e.Path, nil, "")
}

// patch sends body (JSON) to the profile update route (PATCH /api/profile).
func (ss *pxSession) patch(body string) *pxResponse {
	GinkgoHelper()
	e := ss.s.profile().Proxy.UpdateProfile
	return ss.do(e.Method, e.Path, []byte(body), "application/json")
}

// logout posts to the logout route.
func (ss *pxSession) logout() *pxResponse {
	GinkgoHelper()
	e := ss.s.profile().Proxy.Logout
	return ss.do(e.Method, e.Path, nil, "")
}

// postLogin posts credentials to the login route in the profile's body shape.
func (ss *pxSession) postLogin(email, password string) *pxResponse {
	GinkgoHelper()
	p := ss.s.profile()
	e := p.Proxy.Login
	f := p.Proxy.LoginFields
	if e.Body == "form" {
		v := url.Values{f.Email: {email}, f.Password: {password}}
		return ss.do(e.Method, e.Path, []byte(v.Encode()), "application/x-www-form-urlencoded")
	}
	b, err := json.Marshal(map[string]string{f.Email: email, f.Password: password})
	Expect(err).NotTo(HaveOccurred())
	return ss.do(e.Method, e.Path, b, "application/json")
}

// login logs in with the profile's credentials and returns the family and
// tokens the backend issued for it, read from the journal.
func (ss *pxSession) login() pxLogin {
	GinkgoHelper()
	s := ss.s
	creds := s.profile().Credentials
	mark := s.mark()
	resp := ss.postLogin(creds.Email, creds.Password)
	Expect(resp.Status).To(SatisfyAny(Equal(http.StatusOK), SatisfyAll(BeNumerically(">=", 300), BeNumerically("<", 400))),
		"logging in through the target with the profile's credentials should succeed (200, or a redirect for a form); %s", resp)
	s.learnCookieName(resp)
	Expect(resp.setsCookie(s.sessionCookieName())).NotTo(BeNil(), "the login response should set the session cookie %q; %s", s.sessionCookieName(), resp)

	var l pxLogin
	l.Resp = resp
	for _, e := range s.journal(mark) {
		if e.Route != control.RouteLogin || e.Outcome != control.OutcomeOK {
			continue
		}
		for _, t := range e.Issued {
			l.Family = t.Family
			switch t.Kind {
			case control.Access:
				l.Access = t.Value
			case control.Refresh:
				l.Refresh = t.Value
			}
		}
	}
	Expect(l.Family).NotTo(BeEmpty(), "the backend should have journaled a successful POST /auth/login from the target")
	return l
}

// learnCookieName takes the session cookie's name from the first successful
// login, unless the profile names it. When the login sets any HttpOnly
// cookie, only HttpOnly cookies are candidates: an app may also set a cookie
// that scripts must read (Laravel's XSRF-TOKEN), and that one is not the
// session. A target whose only cookie lacks HttpOnly still has it learned,
// so that P1.2 can fail on it.
func (s *pxSuite) learnCookieName(r *pxResponse) {
	if s.profile().Proxy.CookieName != "" || s.cookieName != "" {
		return
	}
	s.cookieName = pxGuessSessionCookie(r.Cookies)
}

// pxGuessSessionCookie is the first cookie with a value that the response
// sets, preferring HttpOnly ones; "" when it sets none.
func pxGuessSessionCookie(cookies []*http.Cookie) string {
	first := ""
	for _, c := range cookies {
		if c.Value == "" || pxIsClearing(c) {
			continue
		}
		if c.HttpOnly {
			return c.Name
		}
		if first == "" {
			first = c.Name
		}
	}
	return first
}

// sessionCookieName is the profile's cookie name or the one learned at login.
func (s *pxSuite) sessionCookieName() string {
	if n := s.profile().Proxy.CookieName; n != "" {
		return n
	}
	return s.cookieName
}

// cookie is the session cookie's value in the jar, "" when there is none.
func (ss *pxSession) cookie() string {
	name := ss.s.sessionCookieName()
	for _, c := range ss.jar.Cookies(ss.base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie puts a session cookie value into the jar, as a replayed or
// tampered cookie.
func (ss *pxSession) setCookie(value string) {
	GinkgoHelper()
	name := ss.s.sessionCookieName()
	Expect(name).NotTo(BeEmpty(), "the session cookie's name is not known: no login succeeded yet and the profile names none")
	ss.jar.SetCookies(ss.base, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// setCookie is the session's Set-Cookie for the session cookie, nil when the
// response sets none.
func (r *pxResponse) setCookie(name string) *http.Cookie {
	for _, c := range r.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// pxIsClearing reports whether a Set-Cookie removes the cookie: Max-Age=0
// (Go reads it as a negative MaxAge) or an Expires in the past.
func pxIsClearing(c *http.Cookie) bool {
	return c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now()))
}

// clearsCookie reports whether the response clears the session cookie.
func (r *pxResponse) clearsCookie(name string) bool {
	c := r.setCookie(name)
	return c != nil && pxIsClearing(c)
}

// setsCookie is the response's Set-Cookie that gives the session cookie a
// value (not a clearing one), or nil.
func (r *pxResponse) setsCookie(name string) *http.Cookie {
	c := r.setCookie(name)
	if c == nil || pxIsClearing(c) || c.Value == "" {
		return nil
	}
	return c
}

func (r *pxResponse) String() string {
	return fmt.Sprintf("%s → %d %s: %.300s", r.Request, r.Status, r.Header.Get("Content-Type"), r.Body)
}

// isLoginRedirect reports whether the response redirects (302, 303 or 307)
// to the login page.
func (r *pxResponse) isLoginRedirect(loginPath string) bool {
	if r.Status != http.StatusFound && r.Status != http.StatusSeeOther && r.Status != http.StatusTemporaryRedirect {
		return false
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	return err == nil && loc.Path == loginPath
}

// expire expires the access tokens of a family now, through the backend's control API.
func (s *pxSuite) expire(family string) {
	GinkgoHelper()
	_, err := s.backend().Expire(s.ctx, family, control.Access)
	Expect(err).NotTo(HaveOccurred(), "expiring the family's access tokens through the fake backend's control API")
}

// queue queues a fault on the fake backend.
func (s *pxSuite) queue(f control.Fault) {
	GinkgoHelper()
	Expect(s.backend().QueueFault(s.ctx, f)).To(Succeed(), "queueing a fault on the fake backend")
}

// restart restarts the target with some variables changed. It returns
// ErrNotRestartable as is, so that the spec can skip.
func (s *pxSuite) restart(env map[string]string) error {
	for _, ss := range s.sessions {
		ss.close()
	}
	err := s.cfg.Target.Restart(s.ctx, env)
	if err != nil && !errors.Is(err, ErrNotRestartable) {
		return fmt.Errorf("restarting the target with %v: %w", pxEnvKeys(env), err)
	}
	return err
}

func pxEnvKeys(env map[string]string) []string {
	var ks []string
	for k := range env {
		ks = append(ks, k)
	}
	return ks
}
