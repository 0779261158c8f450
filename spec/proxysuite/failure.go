package proxysuite

import (
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/spec/harness"
)

// P5: a refresh answered invalid_grant ends the session: cleanup and a
// redirect to the login page (seed scenario 2).
func (s *suite) failureSpecs(strict func() bool) {
	harness.It("P5.1", strict, s.invalidGrantOnPage)
	harness.It("P5.2", strict, s.invalidGrantOnAPI)
	harness.It("P5.3", strict, s.noRefreshAfterCleanup)
	harness.It("P5.4", strict, s.loginPageNeverRedirectsToItself)
}

// P5.1
func (s *suite) invalidGrantOnPage() {
	ss := s.newSession()
	login := ss.login()
	s.revoke(login.Family)
	mark := s.mark()
	resp := ss.page()
	s.expectInvalidGrant(mark)
	loginPath := s.profile().Proxy.LoginPage.Path
	Expect(resp.isLoginRedirect(loginPath)).To(BeTrue(), "the page should redirect (302, 303 or 307) to %s; %s, Location %q", loginPath, resp, resp.Header.Get("Location"))
	s.expectCleared(ss, resp)
}

// P5.2
func (s *suite) invalidGrantOnAPI() {
	ss := s.newSession()
	login := ss.login()
	s.revoke(login.Family)
	mark := s.mark()
	resp := ss.api()
	s.expectInvalidGrant(mark)
	Expect(resp.Status).To(Equal(http.StatusUnauthorized), "the api route should answer 401; %s", resp)
	Expect(resp.Header.Get("Content-Type")).To(ContainSubstring("json"), "the 401 should be JSON")
	s.expectCleared(ss, resp)
}

// P5.3
func (s *suite) noRefreshAfterCleanup() {
	ss := s.newSession()
	login := ss.login()
	s.revoke(login.Family)
	Expect(ss.api().Status).To(Equal(http.StatusUnauthorized), "the session should end on invalid_grant")
	mark := s.mark()
	api := ss.api()
	page := ss.page()
	es := s.journal(mark)
	Expect(onRoutes(es, control.RouteRefresh)).To(BeEmpty(), "after the cleanup, requests must not call /auth/refresh; the backend saw:\n%s", s.journalText(es))
	Expect(withToken(es)).To(BeEmpty(), "after the cleanup, no backend call may carry a token; the backend saw:\n%s", s.journalText(es))
	Expect(api.Status).To(Equal(http.StatusUnauthorized), "the api route should answer 401 without a session; %s", api)
	Expect(page.isLoginRedirect(s.profile().Proxy.LoginPage.Path)).To(BeTrue(), "the page should redirect to the login page without a session; %s", page)
}

// P5.4
func (s *suite) loginPageNeverRedirectsToItself() {
	loginPath := s.profile().Proxy.LoginPage.Path
	check := func(what string, ss *session) {
		GinkgoHelper()
		resp := ss.loginPage()
		Expect(resp.Status).To(Equal(http.StatusOK), "GET %s with %s should answer 200; %s, Location %q", loginPath, what, resp, resp.Header.Get("Location"))
	}

	By("an expired session: both of its tokens expired")
	expired := s.newSession()
	login := expired.login()
	s.expire(login.Family)
	_, err := s.backend().Expire(s.ctx, login.Family, control.Refresh)
	Expect(err).NotTo(HaveOccurred())
	check("an expired session", expired)

	By("a session cleared after invalid_grant")
	cleared := s.newSession()
	login = cleared.login()
	s.revoke(login.Family)
	cleared.api()
	check("a cleared session", cleared)

	By("a broken cookie")
	broken := s.newSession()
	broken.setCookie("broken" + strings.Repeat("x", 40))
	check("a broken cookie", broken)
}

// expectInvalidGrant checks that since mark the target tried one refresh and
// the backend refused it.
func (s *suite) expectInvalidGrant(mark int) {
	GinkgoHelper()
	es := s.journal(mark)
	refreshes := onRoutes(es, control.RouteRefresh)
	Expect(refreshes).To(HaveLen(1), "the target should try one refresh on the 401; the backend saw:\n%s", s.journalText(es))
	Expect(refreshes[0].Status).To(Equal(http.StatusUnauthorized), "the backend should refuse the refresh (invalid_grant); the backend saw:\n%s", s.journalText(es))
}

// expectCleared checks that the response clears the session cookie and the
// client's jar no longer holds it.
func (s *suite) expectCleared(ss *session, resp *response) {
	GinkgoHelper()
	name := s.sessionCookieName()
	Expect(resp.clearsCookie(name)).To(BeTrue(),
		"the response should clear the session cookie %q (Max-Age=0 or an Expires in the past); Set-Cookie: %q", name, resp.Header.Values("Set-Cookie"))
	Expect(ss.cookie()).To(BeEmpty(), "the client's jar should no longer hold the session cookie")
}
