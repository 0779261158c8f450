package proxysuite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/leak"
	"github.com/refreshspec/refreshspec/profile"
)

// session is one client of the target, as a browser would be: a cookie
// jar, redirects not followed (the specs look at them), a timeout per
// request, and every response recorded for the leak scan and for P1.2's
// look at every Set-Cookie of the session.
//
// While the target runs with COOKIE_SECURE on, the client talks as a
// TLS-terminating load balancer in front of it does: plain HTTP carrying
// X-Forwarded-Proto: https (unless the profile says forwarded_proto: none),
// with a jar that keeps and sends Secure cookies, as a browser at the https
// edge would.
type session struct {
	s      *suite
	base   *url.URL
	jar    http.CookieJar
	client *http.Client
	// secure is whether the target ran with COOKIE_SECURE on when the
	// session was made: its cookies are then owed the Secure attribute.
	secure bool
	// ctx, when set, bounds this session's requests instead of the suite's
	// (P7.5 hangs one client up).
	ctx context.Context
}

// loginResult is a session's login as the backend saw it.
type loginResult struct {
	Resp    *response
	Family  string
	Access  string
	Refresh string
}

func (s *suite) newSession() *session {
	GinkgoHelper()
	ss, err := s.openSession()
	Expect(err).NotTo(HaveOccurred())
	return ss
}

// openSession is newSession without assertions, for the pre-flight.
func (s *suite) openSession() (*session, error) {
	base, err := url.Parse(strings.TrimRight(s.cfg.Target.URL(), "/"))
	if err != nil {
		return nil, fmt.Errorf("the target's URL %q: %w", s.cfg.Target.URL(), err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	secure := s.cfg.targetSecure()
	ss := &session{s: s, base: base, jar: jar, secure: secure}
	if secure {
		ss.jar = httpsJar{jar}
	}
	// Each session has its own transport: a restart of the target must not
	// leave it with connections to the old process.
	ss.client = &http.Client{
		Jar:           ss.jar,
		Timeout:       s.cfg.requestTimeout(),
		Transport:     &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	s.mu.Lock()
	s.sessions = append(s.sessions, ss)
	s.mu.Unlock()
	return ss, nil
}

func (ss *session) close() { ss.client.CloseIdleConnections() }

// httpsJar keeps a session's cookies as a client at the https edge of a
// TLS-terminating proxy does: Secure cookies are kept and sent, although
// the suite itself talks plain HTTP to the target behind it.
type httpsJar struct{ http.CookieJar }

func (j httpsJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.CookieJar.SetCookies(asHTTPS(u), cookies)
}

func (j httpsJar) Cookies(u *url.URL) []*http.Cookie { return j.CookieJar.Cookies(asHTTPS(u)) }

func asHTTPS(u *url.URL) *url.URL {
	c := *u
	c.Scheme = "https"
	return &c
}

// send makes one request and records the response; it does not assert, so
// that it can run in goroutines and in the pre-flight.
func (ss *session) send(method, path string, body []byte, contentType string) (*response, error) {
	return ss.sendWith(method, path, body, contentType, nil)
}

// unsafeMethod reports whether a browser sends Origin with the method: any
// but GET, HEAD and OPTIONS.
func unsafeMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// origin is the target's origin as the browser in front of it sees it:
// https when the suite talks as a TLS-terminating load balancer does (edge),
// else the URL's own scheme; the host is the target's.
func (ss *session) origin(edge bool) string {
	scheme := ss.base.Scheme
	if edge {
		scheme = "https"
	}
	return scheme + "://" + ss.base.Host
}

// sendWith is send with extra request headers (a CSRF token's).
func (ss *session) sendWith(method, path string, body []byte, contentType string, header http.Header) (*response, error) {
	// A path may carry a query (a redirect's target does): JoinPath would
	// escape its "?".
	p, query, _ := strings.Cut(path, "?")
	u := ss.base.JoinPath(p)
	u.RawQuery = query
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	ctx := ss.s.ctx
	if ss.ctx != nil {
		ctx = ss.ctx
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "*/*")
	forwarded := ss.s.cfg.forwardedHeaders()
	if ss.secure {
		for k, vs := range forwarded {
			req.Header[k] = vs
		}
	}
	if unsafeMethod(method) {
		// As a browser does for a form post or a fetch that changes
		// something: CSRF defences (gorilla/csrf, Django, Rails) refuse such a
		// request over https without a same-origin Origin or Referer.
		origin := ss.origin(ss.secure && forwarded != nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Referer", origin+"/")
	}
	what := method + " " + path
	// Shown with -v (Ginkgo's verbose output): which cookies each request
	// sent, the session's set among them (names only, never values).
	if _, rc := GinkgoConfiguration(); rc.Verbose || rc.VeryVerbose {
		GinkgoWriter.Printf("request %s, cookies sent: %s\n", what, cookieNames(ss.jar.Cookies(req.URL)))
	}
	resp, err := ss.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer: %w", what, err)
	}
	r := &response{Request: what, Status: resp.StatusCode, Header: resp.Header, Body: raw, Cookies: resp.Cookies(), Sent: body}
	ss.s.record(leak.Response{Where: fmt.Sprintf("%s → %d", what, r.Status), Header: resp.Header.Clone(), Body: raw})
	ss.s.recordSetCookies(r, ss.secure || ss.base.Scheme == "https")
	return r, nil
}

func (s *suite) record(r leak.Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.responses = append(s.responses, r)
}

// do is send that fails the spec on a transport error.
func (ss *session) do(method, path string, body []byte, contentType string) *response {
	GinkgoHelper()
	r, err := ss.send(method, path, body, contentType)
	Expect(err).NotTo(HaveOccurred(), "the target should answer %s %s", method, path)
	return r
}

// doProtected is do for the requests that change state (login, logout,
// update_profile): with the profile's CSRF token when it asks for one.
func (ss *session) doProtected(req, method, path string, body []byte, contentType string) *response {
	GinkgoHelper()
	r, err := ss.sendProtected(req, method, path, body, contentType)
	Expect(err).NotTo(HaveOccurred(), "the target should answer %s %s", method, path)
	return r
}

// sendProtected is send with the profile's CSRF token, fetched from the
// login page in this session's jar right before (see csrf.go).
// req says which request it is (profile.CSRFOnLogin, CSRFOnLogout or
// CSRFOnUpdate): proxy.csrf.requests may leave it without the token.
func (ss *session) sendProtected(req, method, path string, body []byte, contentType string) (*response, error) {
	csrf := ss.s.profile().Proxy.CSRF
	if !csrf.Carries(req) {
		return ss.send(method, path, body, contentType)
	}
	token, err := ss.csrfToken()
	if err != nil {
		return nil, err
	}
	body, contentType, header, err := withCSRF(csrf, token, body, contentType)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return ss.sendWith(method, path, body, contentType, header)
}

// api requests the profile's api route (GET /api/me).
func (ss *session) api() *response {
	GinkgoHelper()
	e := ss.s.profile().Proxy.Me
	return ss.do(e.Method, e.Path, nil, "")
}

// page requests the profile's server-rendered page (GET /profile).
func (ss *session) page() *response {
	GinkgoHelper()
	e := ss.s.profile().Proxy.ProfilePage
	return ss.do(e.Method, e.Path, nil, "")
}

// loginPage requests the login page (GET /login).
func (ss *session) loginPage() *response {
	GinkgoHelper()
	e := ss.s.profile().Proxy.LoginPage
	return ss.do(e.Method, e.Path, nil, "")
}

// patch sends body (JSON) to the profile update route (PATCH /api/profile).
// The response's Sent is what went out: body, with a CSRF field when the
// profile sends the token as one.
func (ss *session) patch(body string) *response {
	GinkgoHelper()
	e := ss.s.profile().Proxy.UpdateProfile
	return ss.doProtected(profile.CSRFOnUpdate, e.Method, e.Path, []byte(body), "application/json")
}

// logout posts to the logout route.
func (ss *session) logout() *response {
	GinkgoHelper()
	e := ss.s.profile().Proxy.Logout
	return ss.doProtected(profile.CSRFOnLogout, e.Method, e.Path, nil, "")
}

// postLogin posts credentials to the login route in the profile's body shape.
func (ss *session) postLogin(email, password string) *response {
	GinkgoHelper()
	r, err := ss.sendLogin(email, password)
	Expect(err).NotTo(HaveOccurred(), "the target should answer the login")
	return r
}

// sendLogin is postLogin without assertions.
func (ss *session) sendLogin(email, password string) (*response, error) {
	p := ss.s.profile()
	e := p.Proxy.Login
	f := p.Proxy.LoginFields
	if e.Body == "form" {
		v := url.Values{f.Email: {email}, f.Password: {password}}
		return ss.sendProtected(profile.CSRFOnLogin, e.Method, e.Path, []byte(v.Encode()), "application/x-www-form-urlencoded")
	}
	b, err := json.Marshal(map[string]string{f.Email: email, f.Password: password})
	if err != nil {
		return nil, err
	}
	return ss.sendProtected(profile.CSRFOnLogin, e.Method, e.Path, b, "application/json")
}

// login logs in with the profile's credentials and returns the family and
// tokens the backend issued for it, read from the journal.
func (ss *session) login() loginResult {
	GinkgoHelper()
	s := ss.s
	creds := s.profile().Credentials
	mark := s.mark()
	resp := ss.postLogin(creds.Email, creds.Password)
	// A plain comparison: Gomega's SatisfyAny prints its matchers with %s,
	// which shows as "%!s(*matchers.EqualMatcher=...)" in the message.
	ok := resp.Status == http.StatusOK || resp.Status >= 300 && resp.Status < 400
	if !ok {
		Expect(ok).To(BeTrue(), "logging in through the target with the profile's credentials should succeed (200, or a redirect for a form), but it answered %d; %s%s",
			resp.Status, resp, s.loginRefusalHint(resp, mark))
	}
	s.learnCookieName(resp)
	if !s.setsSession(resp) {
		Expect(s.setsSession(resp)).To(BeTrue(), "the login response should set the session cookie %q; it set %s%s",
			s.sessionCookieName(), describeCookies(resp.Cookies), s.cookieNameHint(resp))
	}

	var l loginResult
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

// loginRefusalHint says, for a login the target refused without asking the
// backend, where to look: a 403 or 419 there is a CSRF defence's answer
// more often than not.
func (s *suite) loginRefusalHint(resp *response, mark int) string {
	for _, e := range s.journal(mark) {
		if e.Route == control.RouteLogin {
			return ""
		}
	}
	hint := "\nthe target answered without calling the backend's login"
	if resp.Status == http.StatusForbidden || resp.Status == 419 {
		hint += ": a CSRF defence refusing the request? Check the profile's proxy.csrf.source, proxy.csrf.send and proxy.csrf.requests " +
			"(the suite sends the token it reads there, and a same-origin Origin and Referer, as a browser does)"
	}
	return hint
}

// cookieNames lists the names of the cookies a request carries, for -v.
func cookieNames(cookies []*http.Cookie) string {
	if len(cookies) == 0 {
		return "none"
	}
	names := make([]string, len(cookies))
	for i, c := range cookies {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}
