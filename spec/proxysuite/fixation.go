package proxysuite

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
)

// P1.5. A login starts a new session: the session cookie the client held
// before it, presented alone afterwards, opens nothing of the new login.
// The cookie held before is the one the login page set (a server-side
// session starts there, often for its CSRF token); a target that sets none
// before login (a sealed cookie) is given the cookie of another client's
// login, as an attacker plants their own session: a store that keeps the
// id the browser arrives with keeps that one. Anonymous means: no backend
// call carries a token of the new login, and, for a cookie no login made,
// the api route answers 401 or redirects to the login page. The planted
// session still opens its own tokens, which is not fixation
// (docs/decisions.md).
func (s *suite) loginStartsNewSession() {
	s.sessionCookieNameAfterLogin()
	ss := s.newSession()
	ss.loginPage()
	before, from := ss.cookie(), "the session cookie the login page set"
	if before == "" {
		By("the login page set no session cookie: the client holds the session of another client's login (an attacker's own, planted)")
		planted := s.newSession()
		planted.login()
		before = planted.cookie()
		ss.setCookie(before)
		from = "the session cookie of an earlier login (another client's, planted in this one)"
	}
	login := ss.login()
	after := ss.cookie()
	By("presenting the cookie held before the login, alone")
	other := s.newSession()
	other.setCookie(before)
	mark := s.mark()
	api := other.api()
	var ofLogin []control.Entry
	for _, e := range withToken(s.journal(mark)) {
		if e.Family == login.Family {
			ofLogin = append(ofLogin, e)
		}
	}
	Expect(ofLogin).To(BeEmpty(),
		"a login should start a new session: %s, presented alone after the login, should open nothing of it, but the target called the backend with the new login's tokens (session fixation; the cookie %s, after the login %s); the backend saw:\n%s",
		from, setNames(before), sameOrNew(before, after), s.journalText(ofLogin))
	if from == "the session cookie the login page set" {
		loginPath := s.profile().Proxy.LoginPage.Path
		Expect(api.Status == http.StatusUnauthorized || api.isLoginRedirect(loginPath)).To(BeTrue(),
			"a login should start a new session: %s, presented alone after the login, should be anonymous (the api route answers 401 or redirects to %s); %s", from, loginPath, api)
	}
	harness.Measured("the cookie held before the login was %s; after the login the client held %s", from, sameOrNew(before, after))
}

// sameOrNew says whether the session a login left the client with is the
// one it held before.
func sameOrNew(before, after string) string {
	if before == after {
		return "the same cookie"
	}
	return "a new cookie"
}
