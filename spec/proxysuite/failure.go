package proxysuite

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
)

// P5: a refresh answered invalid_grant ends the session: cleanup and a
// redirect to the login page (seed scenario 2).
func (s *suite) failureSpecs(strict func() bool) {
	harness.It("P5.1", strict, s.invalidGrantOnPage)
	harness.It("P5.2", strict, s.invalidGrantOnAPI)
	harness.It("P5.3", strict, s.noRefreshAfterCleanup)
	harness.It("P5.4", strict, s.loginPageNeverLoops)
}

// P5.1
func (s *suite) invalidGrantOnPage() {
	for _, rt := range s.routes() {
		if rt.Page {
			s.expectInvalidGrantEnds(rt)
		}
	}
}

// P5.2
func (s *suite) invalidGrantOnAPI() {
	for _, rt := range s.apiRoutes() {
		s.expectInvalidGrantEnds(rt)
	}
}

// expectInvalidGrantEnds checks that a refresh refused with invalid_grant
// on a request of rt ends the session as rt's kind ends it.
func (s *suite) expectInvalidGrantEnds(rt route) {
	GinkgoHelper()
	By("the " + rt.Name)
	ss := s.newSession()
	login := ss.login()
	s.revoke(login.Family)
	mark := s.mark()
	resp := rt.do(ss)
	s.expectInvalidGrant(mark)
	s.expectSessionEnded(rt, ss, resp)
}

// P5.3
func (s *suite) noRefreshAfterCleanup() {
	routes := s.routes()
	for _, cleanup := range routes {
		By("the session ended on the " + cleanup.Name)
		ss := s.newSession()
		login := ss.login()
		s.revoke(login.Family)
		cleanup.do(ss)
		mark := s.mark()
		for _, rt := range routes {
			rt.do(ss)
		}
		es := s.journal(mark)
		Expect(onRoutes(es, control.RouteRefresh)).To(BeEmpty(),
			"after the cleanup on the %s, requests must not call /auth/refresh; the backend saw:\n%s", cleanup.Name, s.journalText(es))
		Expect(withToken(es)).To(BeEmpty(),
			"after the cleanup on the %s, no backend call may carry a token; the backend saw:\n%s", cleanup.Name, s.journalText(es))
	}
}

// maxLoginHops is how many redirects P5.4 follows from the login page
// before it calls them a loop.
const maxLoginHops = 5

// P5.4
func (s *suite) loginPageNeverLoops() {
	By("an expired session: both of its tokens expired")
	expired := s.newSession()
	login := expired.login()
	s.expire(login.Family)
	_, err := s.backend().Expire(s.ctx, login.Family, control.Refresh)
	Expect(err).NotTo(HaveOccurred())
	s.expectLoginPageEnds("an expired session", expired)

	By("a session cleared after invalid_grant")
	cleared := s.newSession()
	login = cleared.login()
	s.revoke(login.Family)
	cleared.api()
	s.expectLoginPageEnds("a cleared session", cleared)

	By("a broken cookie")
	broken := s.newSession()
	broken.setCookie(s.madeUpSession("broken" + strings.Repeat("x", 40)))
	s.expectLoginPageEnds("a broken cookie", broken)
}

// expectLoginPageEnds requests the login page with what the session holds
// and follows its redirects as a browser would: it must answer 200, or
// redirect on to a 200 page within maxLoginHops hops with the session
// cleared; a redirect from the login page straight back to it is a loop.
func (s *suite) expectLoginPageEnds(what string, ss *session) {
	GinkgoHelper()
	loginPath := s.profile().Proxy.LoginPage.Path
	resp := ss.loginPage()
	path := loginPath
	var hops []string
	for hop := 0; isRedirect(resp.Status); hop++ {
		loc, err := url.Parse(resp.Header.Get("Location"))
		Expect(err).NotTo(HaveOccurred(), "GET %s with %s: the redirect's Location %q", loginPath, what, resp.Header.Get("Location"))
		next := (&url.URL{Path: path}).ResolveReference(loc)
		hops = append(hops, fmt.Sprintf("%s → %d %s", path, resp.Status, next.RequestURI()))
		Expect(path == loginPath && next.Path == loginPath).To(BeFalse(),
			"GET %s with %s redirects from the login page straight back to it: a loop; %s", loginPath, what, strings.Join(hops, ", "))
		Expect(hop).To(BeNumerically("<", maxLoginHops),
			"GET %s with %s should end on a page within %d redirects; it went %s", loginPath, what, maxLoginHops, strings.Join(hops, ", "))
		path = next.Path
		// The query is left out: session.send takes a path, and where a
		// redirect ends does not hang on a ?next= parameter.
		resp = ss.do(http.MethodGet, next.Path, nil, "")
	}
	Expect(resp.Status).To(Equal(http.StatusOK),
		"GET %s with %s should answer 200, or redirect on to a 200 page; it ended with %s (redirects: %v)", loginPath, what, resp, hops)
	if len(hops) > 0 {
		Expect(s.sessionCleared(ss)).To(BeTrue(),
			"GET %s with %s redirected (%s), so the page it ends on must come with the session cleared; the client still holds a session", loginPath, what, strings.Join(hops, ", "))
	}
}

// isRedirect reports whether a status sends the client elsewhere.
func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// sessionCleared reports whether the client holds no session any more: its
// jar has no session cookie, or the cookie it holds is anonymous (the api
// route answers 401 or a login redirect with no backend call carrying a
// token), as a server-side session destroyed behind its cookie is.
func (s *suite) sessionCleared(ss *session) bool {
	GinkgoHelper()
	if ss.cookie() == "" {
		return true
	}
	mark := s.mark()
	resp := ss.api()
	return len(withToken(s.journal(mark))) == 0 && s.endsSession(s.apiRoutes()[0], resp)
}

// expectInvalidGrant checks that since mark the target tried one refresh and
// the backend refused it.
func (s *suite) expectInvalidGrant(mark int) {
	GinkgoHelper()
	es := s.journal(mark)
	refreshes := onRoutes(es, control.RouteRefresh)
	Expect(refreshes).To(HaveLen(1), "the target should try one refresh on the 401; the backend saw:\n%s", s.journalText(es))
	Expect(refreshes[0].Outcome).To(Equal(control.OutcomeInvalidGrant), "the backend should refuse the refresh (invalid_grant, 401 or 400 as its dialect says); the backend saw:\n%s", s.journalText(es))
}

// expectCleared checks that the response clears the session cookie and the
// client's jar no longer holds it.
func (s *suite) expectCleared(ss *session, resp *response) {
	GinkgoHelper()
	name := s.sessionCookieName()
	Expect(s.clearsSession(resp)).To(BeTrue(),
		"the response should clear the session cookie %q (Max-Age=0 or an Expires in the past); Set-Cookie: %q", name, resp.Header.Values("Set-Cookie"))
	Expect(ss.cookie()).To(BeEmpty(), "the client's jar should no longer hold the session cookie")
}
