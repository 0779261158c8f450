package proxysuite

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/spec/harness"
	"github.com/refreshspec/refreshspec/spec/htmlsel"
)

// P2: refresh on 401 (seed scenarios 1 and 2), and P3: a single retry (the
// seed's retryCount).
func (s *suite) refreshSpecs(strict func() bool) {
	harness.It("P2.1", strict, s.pageRefreshes)
	harness.It("P2.2", strict, s.apiRefreshes)
	harness.It("P2.3", strict, s.patchRetriedWithItsBody)
	harness.It("P2.4", strict, s.retryPresentsNewAccess)
	harness.It("P3.1", strict, s.noRetryLoop)
	harness.Table("P3.2", strict, s.noRefreshOnStatus,
		harness.Entry("resource answers 403", http.StatusForbidden),
		harness.Entry("resource answers 404", http.StatusNotFound),
		harness.Entry("resource answers 429", http.StatusTooManyRequests),
		harness.Entry("resource answers 500", http.StatusInternalServerError),
	)
}

// P2.1
func (s *suite) pageRefreshes() {
	ss := s.newSession()
	login := ss.login()
	before := ss.cookie()
	s.expire(login.Family)
	mark := s.mark()
	resp := ss.page()
	p := s.profile()
	Expect(resp.Status).To(Equal(http.StatusOK), "the page should answer 200 after a transparent refresh; %s", resp)
	Expect(resp.Header.Get("Content-Type")).To(ContainSubstring("text/html"), "the page should be HTML")
	shown, detail := htmlsel.TextContains(resp.Body, p.Proxy.Selectors.FirstName, p.Credentials.FirstName)
	Expect(shown).To(BeTrue(),
		"the page should show the user's first name %q in %s (%s); body: %.500s", p.Credentials.FirstName, p.Proxy.Selectors.FirstName, detail, resp.Body)
	c := s.expectRefreshCycle(s.journal(mark), control.RouteMe, login)
	s.expectResealed(resp, before, c.NewAccess)
}

// P2.2
func (s *suite) apiRefreshes() {
	ss := s.newSession()
	login := ss.login()
	before := ss.cookie()
	s.expire(login.Family)
	mark := s.mark()
	resp := ss.api()
	Expect(resp.Status).To(Equal(http.StatusOK), "the api route should answer 200 after a transparent refresh; %s", resp)
	Expect(resp.Header.Get("Content-Type")).To(ContainSubstring("json"), "the api route should answer JSON")
	Expect(string(resp.Body)).To(ContainSubstring(s.profile().Credentials.FirstName), "the api answer should carry the user")
	c := s.expectRefreshCycle(s.journal(mark), control.RouteMe, login)
	s.expectResealed(resp, before, c.NewAccess)
}

// P2.3
func (s *suite) patchRetriedWithItsBody() {
	ss := s.newSession()
	login := ss.login()
	s.expire(login.Family)
	mark := s.mark()
	body := `{"lastName":"Pleasance","nickname":"P2.3 retry body"}`
	resp := ss.patch(body)
	Expect(resp.Status).To(Equal(http.StatusOK), "the PATCH should answer 200 after a transparent refresh; %s", resp)
	c := s.expectRefreshCycle(s.journal(mark), control.RouteProfile, login)
	Expect(c.Retry.Method).To(Equal(c.First.Method), "the retry should use the first attempt's method")
	Expect(c.Retry.Method).To(Equal(http.MethodPatch), "the retry should be a PATCH")
	Expect(c.First.Body).To(MatchJSON(body), "the first attempt should forward the client's body")
	Expect(c.Retry.Body).To(Equal(c.First.Body), "the retry should carry the identical body as the first attempt")
}

// P2.4
func (s *suite) retryPresentsNewAccess() {
	ss := s.newSession()
	login := ss.login()
	s.expire(login.Family)
	mark := s.mark()
	resp := ss.api()
	es := s.journal(mark)
	refreshes := onRoutes(es, control.RouteRefresh)
	Expect(refreshes).NotTo(BeEmpty(), "the backend should see a refresh; it saw:\n%s", s.journalText(es))
	newAccess, _ := issuedTokens(refreshes[0])
	var retries []control.Entry
	for _, e := range onRoutes(es, control.RouteMe) {
		if e.Seq > refreshes[0].Seq {
			retries = append(retries, e)
		}
	}
	Expect(retries).NotTo(BeEmpty(), "the backend should see the retry after the refresh; it saw:\n%s", s.journalText(es))
	Expect(retries[0].Token == newAccess).To(BeTrue(),
		"the retry should present the access token the refresh returned (%s), not %s (the old one is %s)",
		control.Fingerprint(newAccess), control.Fingerprint(retries[0].Token), control.Fingerprint(login.Access))
	Expect(resp.Status).To(Equal(http.StatusOK), "the request after the refresh should succeed; %s", resp)
}

// P3.1
func (s *suite) noRetryLoop() {
	ss := s.newSession()
	ss.login()
	s.queue(control.Fault{Route: control.RouteMe, Count: 2, Kind: control.FaultStatus, Status: http.StatusUnauthorized})
	mark := s.mark()
	resp := ss.api()
	es := s.journal(mark)
	Expect(onRoutes(es, control.RouteRefresh)).To(HaveLen(1), "exactly one refresh, whatever the retry meets; the backend saw:\n%s", s.journalText(es))
	Expect(onRoutes(es, control.RouteMe)).To(HaveLen(2), "exactly two resource calls (the first and one retry); the backend saw:\n%s", s.journalText(es))
	Expect(resp.Status).NotTo(Equal(http.StatusOK), "the resource kept answering 401, so the client should get the failure; %s", resp)
}

// P3.2
func (s *suite) noRefreshOnStatus(status int) {
	ss := s.newSession()
	ss.login()
	s.queue(control.Fault{Route: control.RouteMe, Count: 1, Kind: control.FaultStatus, Status: status})
	mark := s.mark()
	resp := ss.api()
	es := s.journal(mark)
	Expect(onRoutes(es, control.RouteRefresh)).To(BeEmpty(), "a resource answering %d must not cause a refresh; the backend saw:\n%s", status, s.journalText(es))
	Expect(onRoutes(es, control.RouteMe)).To(HaveLen(1), "a resource answering %d must not be retried; the backend saw:\n%s", status, s.journalText(es))
	if status >= 500 {
		Expect(resp.Status).To(BeNumerically(">=", 500), "the backend's %d should reach the client as a 5xx; %s", status, resp)
	} else {
		Expect(resp.Status).To(Equal(status), "the backend's %d should reach the client; %s", status, resp)
	}
}

// expectResealed checks that a response that followed a refresh sets the
// session cookie to a new value that carries the rotated session: replayed
// in a fresh client, it presents newAccess to the backend with no refresh.
func (s *suite) expectResealed(resp *response, before, newAccess string) {
	GinkgoHelper()
	name := s.sessionCookieName()
	c := resp.setsCookie(name)
	Expect(c).NotTo(BeNil(), "the response after the refresh should carry a Set-Cookie %q with the rotated session; headers: %v", name, resp.Header)
	Expect(c.Value != before).To(BeTrue(), "the Set-Cookie after the refresh should carry a new session, not the old cookie")

	replay := s.newSession()
	replay.setCookie(c.Value)
	mark := s.mark()
	r := replay.api()
	es := s.journal(mark)
	me := onRoutes(es, control.RouteMe)
	Expect(me).NotTo(BeEmpty(), "the Set-Cookie after the refresh, replayed, should reach the backend; %s", r)
	Expect(me[0].Token == newAccess).To(BeTrue(),
		"the Set-Cookie after the refresh should carry the rotated session (access token %s), but replayed it presented %s; the backend saw:\n%s",
		control.Fingerprint(newAccess), control.Fingerprint(me[0].Token), s.journalText(es))
	Expect(onRoutes(es, control.RouteRefresh)).To(BeEmpty(), "the rotated session needs no refresh; the backend saw:\n%s", s.journalText(es))
}
