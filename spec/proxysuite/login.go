package proxysuite

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/internal/leak"
	"github.com/refreshspec/refreshspec/spec/target"
)

// P1: login and storage (seed scenario 3).
func (s *suite) loginSpecs(strict func() bool) {
	harness.It("P1.1", strict, s.loginCarriesNoToken)
	harness.It("P1.2", strict, s.cookieAttributes)
	harness.It("P1.3", strict, s.badCredentials)
	harness.It("P1.4", strict, s.cookieSize)
	harness.It("P1.5", strict, s.loginStartsNewSession)
	harness.It("P1.6", strict, s.cookieLifetime)
}

// P1.1
func (s *suite) loginCarriesNoToken() {
	ss := s.newSession()
	login := ss.login()
	issued := map[string]control.Token{}
	for _, e := range onRoutes(s.journal(0), control.RouteLogin) {
		for _, t := range e.Issued {
			issued[t.Value] = t
		}
	}
	Expect(issued).To(HaveKey(login.Access), "the backend should have issued tokens for the login")
	leaks := leak.Scan(issued, []leak.Response{{Where: login.Resp.Request, Header: login.Resp.Header, Body: login.Resp.Body}})
	Expect(leaks).To(BeEmpty(),
		"the login response must not carry an issued token in its body, headers or cookie (raw, or base64/base64url-decoded: the cookie must be encrypted, not only signed)")
}

// P1.2. The attributes hold for every Set-Cookie of the session: the
// login's and a rotation's on each route kind here, every other one after each spec
// (cookieattrs.go). With COOKIE_SECURE off, the target is restarted with it
// on, and the client talks as a TLS-terminating proxy does.
func (s *suite) cookieAttributes() {
	s.sessionCookieNameAfterLogin()
	By("the session's Set-Cookies at login and after a rotation")
	s.loginAndRotate()
	s.expectSessionCookiesOK()

	env := s.cfg.Target.Env()
	secure, told := env["COOKIE_SECURE"]
	switch {
	case told && secure != "false", !told && strings.HasPrefix(s.cfg.Target.URL(), "https://"):
		return // Secure was owed above already
	case !told:
		harness.Measured("the suite did not start the target and does not know its COOKIE_SECURE; Secure was left unchecked")
		return
	}
	// The target was told COOKIE_SECURE=false: restart it with true to see
	// that it then marks the cookie Secure.
	err := s.restart("COOKIE_SECURE=true", map[string]string{"COOKIE_SECURE": "true"})
	if errors.Is(err, target.ErrNotRestartable) {
		harness.Measured("Secure not checked: the target runs with COOKIE_SECURE=false and %v", err)
		return
	}
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		Expect(s.restart("COOKIE_SECURE="+secure+" again", map[string]string{"COOKIE_SECURE": secure})).To(Succeed(), "restoring COOKIE_SECURE=%s", secure)
	})
	By("with COOKIE_SECURE=true, through a TLS-terminating proxy (X-Forwarded-Proto: https)")
	s.loginAndRotate()
	s.expectSessionCookiesOK()
}

// loginAndRotate logs a new client in and makes a request after expiry on
// each route kind, so that the client gets the session's Set-Cookie at
// login and, for a sealed cookie, after a rotation under the api route and
// one under the page: many apps save a rotation in two places (a route
// handler and a middleware), and each must set the attributes. Whether the
// refresh works is P2's business: here only the cookies count.
func (s *suite) loginAndRotate() {
	GinkgoHelper()
	ss := s.newSession()
	login := ss.login()
	s.expire(login.Family)
	ss.api()
	s.expire(login.Family)
	ss.page()
}

// expectSessionCookiesOK checks the attributes of every Set-Cookie of the
// session the spec got so far.
func (s *suite) expectSessionCookiesOK() {
	GinkgoHelper()
	problems, checked := s.sessionCookieProblems()
	Expect(checked).To(BeNumerically(">", 0), "the client got no Set-Cookie of the session cookie %q (proxy.cookie_name)", s.sessionCookieName())
	Expect(problems).To(BeEmpty(), cookieRule)
	if dups := s.sessionDuplicates(); len(dups) > 0 {
		// RFC 6265 §4.1.1: a server SHOULD NOT send two Set-Cookies of one
		// cookie in one response; a browser applies both, so the last counts,
		// and that is what was checked above.
		harness.Measured("a response set a cookie of the session twice (RFC 6265 says not to; the last one counts, as in a browser, and was the one checked): %s", strings.Join(dups, "; "))
	}
}

// P1.3. A JSON login answers 401; a form login may answer 4xx, render its
// form again (200) or redirect to the login page (Django, Rails, Spring).
// No session in any case: a client that held no session cookie holds none
// afterwards, and a pre-login session that the login page set (one that
// holds a CSRF token, which the bad login may send again) opens nothing.
func (s *suite) badCredentials() {
	name := s.sessionCookieNameAfterLogin()
	ss := s.newSession()
	ss.loginPage()
	preLogin := ss.cookie()
	creds := s.profile().Credentials
	mark := s.mark()
	resp := ss.postLogin(creds.Email, creds.Password+"-wrong")
	logins := onRoutes(s.journal(mark), control.RouteLogin)
	Expect(logins).NotTo(BeEmpty(), "the target should have asked the backend to log in")
	for _, e := range logins {
		Expect(e.Issued).To(BeEmpty(), "the backend should have refused the bad credentials")
	}
	Expect(s.badLoginAnswer(resp)).To(Succeed())
	if preLogin == "" {
		Expect(s.setsSession(resp)).To(BeFalse(), "bad credentials must not set the session cookie %q; %s set %s", name, resp.Request, describeCookies(resp.Cookies))
		Expect(ss.cookie()).To(BeEmpty(), "after bad credentials the client should hold no session cookie")
		return
	}
	By("the login page set a pre-login session cookie: after bad credentials it must open nothing")
	s.expectOpensNothing(ss, "the pre-login session cookie "+name+" after bad credentials")
}

// badLoginAnswer says what is wrong with the answer to a login with bad
// credentials, nil when nothing is.
func (s *suite) badLoginAnswer(resp *response) error {
	p := s.profile()
	if p.Proxy.Login.Body != "form" {
		if resp.Status != http.StatusUnauthorized {
			return fmt.Errorf("a JSON login with bad credentials should answer 401; %s", resp)
		}
		return nil
	}
	switch loginPage := p.Proxy.LoginPage.Path; {
	case resp.Status >= 400 && resp.Status < 500:
	case resp.Status == http.StatusOK && hasInput(resp.Body, p.Proxy.LoginFields.Password):
	case resp.redirectsTo(loginPage):
	default:
		return fmt.Errorf("a form login with bad credentials should answer 4xx, render the login form again (200 with its %q input) or redirect to %s; %s, Location %q",
			p.Proxy.LoginFields.Password, loginPage, resp, resp.Header.Get("Location"))
	}
	return nil
}

// expectOpensNothing checks that the session cookie ss holds is no session:
// the api route answers 401 (or redirects to the login page), and no
// backend call carries a token.
func (s *suite) expectOpensNothing(ss *session, what string) {
	GinkgoHelper()
	mark := s.mark()
	api := ss.api()
	es := s.journal(mark)
	loginPath := s.profile().Proxy.LoginPage.Path
	Expect(api.Status == http.StatusUnauthorized || api.isLoginRedirect(loginPath)).To(BeTrue(),
		"%s must open nothing: the api route should answer 401 (or redirect to %s); %s", what, loginPath, api)
	Expect(withToken(es)).To(BeEmpty(), "%s must open nothing, but a backend call carried a token; the backend saw:\n%s", what, s.journalText(es))
}

// sizeRotations is how many rotations P1.4 makes: enough that a session
// keeping a history of rotated tokens (some 80 bytes a rotation, sealed)
// shows its growth well before a real session's life is over.
const sizeRotations = 20

// P1.4. Every cookie of the session's set stays under 4096 bytes (its whole
// Set-Cookie line), at login and after each of sizeRotations rotations; a
// session that grew at every one of them (an audit trail of the rotated
// tokens, kept in the session) fails too, since the field's sessions
// rotate until they pass 4096 bytes and the browser drops them.
func (s *suite) cookieSize() {
	s.rateLimitOff("P1.4's rotations")
	ss := s.newSession()
	login := ss.login()
	s.expectSetCookiesUnder4096(login.Resp, "at login")
	sizes := []int{setValueLen(ss.cookie())}
	grew, changed := true, 0
	for i := 1; i <= sizeRotations; i++ {
		before := ss.cookie()
		s.expire(login.Family)
		resp := ss.api()
		s.expectSetCookiesUnder4096(resp, fmt.Sprintf("after rotation %d", i))
		sizes = append(sizes, setValueLen(ss.cookie()))
		if ss.cookie() != before { // a server-side session's cookie stays
			changed++
			grew = grew && sizes[i] > sizes[i-1]
		}
	}
	Expect(grew && changed > 1).To(BeFalse(),
		"the session should not grow with every rotation (a long session passes 4096 bytes, and browsers drop it); its value took %d bytes at login and %d after %d rotations: %v",
		sizes[0], sizes[len(sizes)-1], sizeRotations, sizes)
	if set := ss.cookie(); len(decodeSet(set)) > 1 {
		harness.Measured("session value is %d bytes at login, %d after %d rotations, in %d cookies (%s)", sizes[0], setValueLen(set), sizeRotations, len(decodeSet(set)), setNames(set))
	} else {
		harness.Measured("session cookie value is %d bytes at login, %d after %d rotations", sizes[0], setValueLen(set), sizeRotations)
	}
}

// expectSetCookiesUnder4096 checks every Set-Cookie line of the session's
// set in a response: each under 4096 bytes, name, value and attributes.
func (s *suite) expectSetCookiesUnder4096(r *response, when string) {
	GinkgoHelper()
	for _, line := range r.Header.Values("Set-Cookie") {
		if n, _, _ := strings.Cut(line, "="); s.isSessionCookie(strings.TrimSpace(n)) {
			Expect(len(line)).To(BeNumerically("<", 4096),
				"each Set-Cookie of the session should stay under 4096 bytes (browsers drop larger cookies); %s, %s set %s in %d bytes", when, r.Request, strings.TrimSpace(n), len(line))
		}
	}
}
