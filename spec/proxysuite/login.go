package proxysuite

import (
	"errors"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/spec/harness"
	"github.com/refreshspec/refreshspec/spec/leak"
)

// P1: login and storage (seed scenario 3).
func (s *suite) loginSpecs(strict func() bool) {
	harness.It("P1.1", strict, s.loginCarriesNoToken)
	harness.It("P1.2", strict, s.cookieAttributes)
	harness.It("P1.3", strict, s.badCredentials)
	harness.It("P1.4", strict, s.cookieSize)
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

// P1.2
func (s *suite) cookieAttributes() {
	name := s.sessionCookieNameAfterLogin()
	ss := s.newSession()
	login := ss.login()
	c := login.Resp.setsCookie(name)
	Expect(c).NotTo(BeNil(), "the login response should set the session cookie %q", name)
	Expect(c.HttpOnly).To(BeTrue(), "the session cookie must be HttpOnly; Set-Cookie: %s", c)
	Expect(c.Path).To(Equal("/"), "the session cookie must have Path=/; Set-Cookie: %s", c)
	Expect(c.SameSite).To(BeElementOf(http.SameSiteLaxMode, http.SameSiteStrictMode),
		"the session cookie must be SameSite=Lax or Strict; Set-Cookie: %s", c)

	env := s.cfg.Target.Env()
	secure, told := env["COOKIE_SECURE"]
	switch {
	case told && secure != "false":
		Expect(c.Secure).To(BeTrue(), "the target runs with COOKIE_SECURE=%s, so the session cookie must be Secure; Set-Cookie: %s", secure, c)
	case !told && strings.HasPrefix(s.cfg.Target.URL(), "https://"):
		Expect(c.Secure).To(BeTrue(), "the target is served over https, so the session cookie must be Secure; Set-Cookie: %s", c)
	case !told:
		harness.Measured("the suite did not start the target and does not know its COOKIE_SECURE; the cookie is Secure=%v, left unchecked", c.Secure)
	default:
		// The target was told COOKIE_SECURE=false: restart it with
		// true to see that it then marks the cookie Secure.
		err := s.restart(map[string]string{"COOKIE_SECURE": "true"})
		if errors.Is(err, ErrNotRestartable) {
			harness.Measured("Secure not checked: the target runs with COOKIE_SECURE=false and %v", err)
			return
		}
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() {
			Expect(s.restart(map[string]string{"COOKIE_SECURE": secure})).To(Succeed(), "restoring COOKIE_SECURE=%s", secure)
		})
		secureLogin := s.newSession().login()
		sc := secureLogin.Resp.setsCookie(name)
		Expect(sc).NotTo(BeNil(), "with COOKIE_SECURE=true the login response should set the session cookie %q", name)
		Expect(sc.Secure).To(BeTrue(), "with COOKIE_SECURE=true the session cookie must be Secure; Set-Cookie: %s", sc)
	}
}

// P1.3
func (s *suite) badCredentials() {
	name := s.sessionCookieNameAfterLogin()
	ss := s.newSession()
	creds := s.profile().Credentials
	mark := s.mark()
	resp := ss.postLogin(creds.Email, creds.Password+"-wrong")
	Expect(resp.Status).To(Equal(http.StatusUnauthorized), "bad credentials should get 401; %s", resp)
	Expect(resp.setsCookie(name)).To(BeNil(), "bad credentials must not set the session cookie %q", name)
	Expect(ss.cookie()).To(BeEmpty(), "after bad credentials the client should hold no session cookie")
	logins := onRoutes(s.journal(mark), control.RouteLogin)
	Expect(logins).NotTo(BeEmpty(), "the target should have asked the backend to log in")
	for _, e := range logins {
		Expect(e.Issued).To(BeEmpty(), "the backend should have refused the bad credentials")
	}
}

// P1.4
func (s *suite) cookieSize() {
	ss := s.newSession()
	login := ss.login()
	name := s.sessionCookieName()
	for _, line := range login.Resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, name+"=") {
			Expect(len(line)).To(BeNumerically("<", 4096),
				"the session cookie's Set-Cookie should stay under 4096 bytes (browsers drop larger cookies); it is %d bytes", len(line))
		}
	}
	harness.Measured("session cookie value is %d bytes", len(ss.cookie()))
}
