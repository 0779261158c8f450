package spec

import (
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// P5: a refresh answered invalid_grant ends the session: cleanup and a
// redirect to the login page (seed scenario 2).
func pxFailureSpecs(s *pxSuite, strict func() bool) {
	scenario("P5.1", strict, func() {
		ss := s.newSession()
		login := ss.login()
		s.revoke(login.Family)
		mark := s.mark()
		resp := ss.page()
		s.expectInvalidGrant("P5.1", mark)
		loginPath := s.profile().Proxy.LoginPage.Path
		Expect(resp.isLoginRedirect(loginPath)).To(BeTrue(), "P5.1: the page should redirect (302, 303 or 307) to %s; %s, Location %q", loginPath, resp, resp.Header.Get("Location"))
		s.expectCleared("P5.1", ss, resp)
	}, Offset(1))

	scenario("P5.2", strict, func() {
		ss := s.newSession()
		login := ss.login()
		s.revoke(login.Family)
		mark := s.mark()
		resp := ss.api()
		s.expectInvalidGrant("P5.2", mark)
		Expect(resp.Status).To(Equal(http.StatusUnauthorized), "P5.2: the api route should answer 401; %s", resp)
		Expect(resp.Header.Get("Content-Type")).To(ContainSubstring("json"), "P5.2: the 401 should be JSON")
		s.expectCleared("P5.2", ss, resp)
	}, Offset(1))

	scenario("P5.3", strict, func() {
		ss := s.newSession()
		login := ss.login()
		s.revoke(login.Family)
		Expect(ss.api().Status).To(Equal(http.StatusUnauthorized), "P5.3: the session should end on invalid_grant")
		mark := s.mark()
		api := ss.api()
		page := ss.page()
		es := s.journal(mark)
		Expect(pxOn(es, control.RouteRefresh)).To(BeEmpty(), "P5.3: after the cleanup, requests must not call /auth/refresh; the backend saw:\n%s", s.journalText(es))
		Expect(pxWithToken(es)).To(BeEmpty(), "P5.3: after the cleanup, no backend call may carry a token; the backend saw:\n%s", s.journalText(es))
		Expect(api.Status).To(Equal(http.StatusUnauthorized), "P5.3: the api route should answer 401 without a session; %s", api)
		Expect(page.isLoginRedirect(s.profile().Proxy.LoginPage.Path)).To(BeTrue(), "P5.3: the page should redirect to the login page without a session; %s", page)
	}, Offset(1))

	scenario("P5.4", strict, func() {
		loginPath := s.profile().Proxy.LoginPage.Path
		check := func(what string, ss *pxSession) {
			GinkgoHelper()
			resp := ss.loginPage()
			Expect(resp.Status).To(Equal(http.StatusOK), "P5.4: GET %s with %s should answer 200; %s, Location %q", loginPath, what, resp, resp.Header.Get("Location"))
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
	}, Offset(1))
}

// revoke revokes a family through the control API, so that its next refresh
// is answered invalid_grant.
func (s *pxSuite) revoke(family string) {
	GinkgoHelper()
	_, err := s.backend().Revoke(s.ctx, family)
	Expect(err).NotTo(HaveOccurred(), "revoking the family through the fake backend's control API")
}

// expectInvalidGrant checks that since mark the target tried one refresh and
// the backend refused it.
func (s *pxSuite) expectInvalidGrant(id string, mark int) {
	GinkgoHelper()
	es := s.journal(mark)
	refreshes := pxOn(es, control.RouteRefresh)
	Expect(refreshes).To(HaveLen(1), "%s: the target should try one refresh on the 401; the backend saw:\n%s", id, s.journalText(es))
	Expect(refreshes[0].Status).To(Equal(http.StatusUnauthorized), "%s: the backend should refuse the refresh (invalid_grant); the backend saw:\n%s", id, s.journalText(es))
}

// expectCleared checks that the response clears the session cookie and the
// client's jar no longer holds it.
func (s *pxSuite) expectCleared(id string, ss *pxSession, resp *pxResponse) {
	GinkgoHelper()
	name := s.sessionCookieName()
	Expect(resp.clearsCookie(name)).To(BeTrue(),
		"%s: the response should clear the session cookie %q (Max-Age=0 or an Expires in the past); Set-Cookie: %q", id, name, resp.Header.Values("Set-Cookie"))
	Expect(ss.cookie()).To(BeEmpty(), "%s: the client's jar should no longer hold the session cookie", id)
}
