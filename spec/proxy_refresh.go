package spec

import (
	"fmt"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/spec/catalogue"
)

// P2: refresh on 401 (seed scenarios 1 and 2), and P3: a single retry (the
// seed's retryCount).
func pxRefreshSpecs(s *pxSuite, strict func() bool) {
	scenario("P2.1", strict, func() {
		ss := s.newSession()
		login := ss.login()
		before := ss.cookie()
		s.expire(login.Family)
		mark := s.mark()
		resp := ss.page()
		p := s.profile()
		Expect(resp.Status).To(Equal(http.StatusOK), "P2.1: the page should answer 200 after a transparent refresh; %s", resp)
		Expect(resp.Header.Get("Content-Type")).To(ContainSubstring("text/html"), "P2.1: the page should be HTML")
		shown, detail := pxFirstName(resp.Body, p.Proxy.Selectors.FirstName, p.Credentials.FirstName)
		Expect(shown).To(BeTrue(),
			"P2.1: the page should show the user's first name %q in %s (%s); body: %.500s", p.Credentials.FirstName, p.Proxy.Selectors.FirstName, detail, resp.Body)
		c := s.expectRefreshCycle("P2.1", s.journal(mark), control.RouteMe, login)
		s.expectResealed("P2.1", resp, before, c.NewAccess)
	}, Offset(1))

	scenario("P2.2", strict, func() {
		ss := s.newSession()
		login := ss.login()
		before := ss.cookie()
		s.expire(login.Family)
		mark := s.mark()
		resp := ss.api()
		Expect(resp.Status).To(Equal(http.StatusOK), "P2.2: the api route should answer 200 after a transparent refresh; %s", resp)
		Expect(resp.Header.Get("Content-Type")).To(ContainSubstring("json"), "P2.2: the api route should answer JSON")
		Expect(string(resp.Body)).To(ContainSubstring(s.profile().Credentials.FirstName), "P2.2: the api answer should carry the user")
		c := s.expectRefreshCycle("P2.2", s.journal(mark), control.RouteMe, login)
		s.expectResealed("P2.2", resp, before, c.NewAccess)
	}, Offset(1))

	scenario("P2.3", strict, func() {
		ss := s.newSession()
		login := ss.login()
		s.expire(login.Family)
		mark := s.mark()
		body := `{"lastName":"Pleasance","nickname":"P2.3 retry body"}`
		resp := ss.patch(body)
		Expect(resp.Status).To(Equal(http.StatusOK), "P2.3: the PATCH should answer 200 after a transparent refresh; %s", resp)
		c := s.expectRefreshCycle("P2.3", s.journal(mark), control.RouteProfile, login)
		Expect(c.Retry.Method).To(Equal(c.First.Method), "P2.3: the retry should use the first attempt's method")
		Expect(c.Retry.Method).To(Equal(http.MethodPatch), "P2.3: the retry should be a PATCH")
		Expect(c.First.Body).To(MatchJSON(body), "P2.3: the first attempt should forward the client's body")
		Expect(c.Retry.Body).To(Equal(c.First.Body), "P2.3: the retry should carry the identical body as the first attempt")
	}, Offset(1))

	scenario("P2.4", strict, func() {
		ss := s.newSession()
		login := ss.login()
		s.expire(login.Family)
		mark := s.mark()
		resp := ss.api()
		es := s.journal(mark)
		refreshes := pxOn(es, control.RouteRefresh)
		Expect(refreshes).NotTo(BeEmpty(), "P2.4: the backend should see a refresh; it saw:\n%s", s.journalText(es))
		newAccess, _ := pxIssued(refreshes[0])
		var retries []control.Entry
		for _, e := range pxOn(es, control.RouteMe) {
			if e.Seq > refreshes[0].Seq {
				retries = append(retries, e)
			}
		}
		Expect(retries).NotTo(BeEmpty(), "P2.4: the backend should see the retry after the refresh; it saw:\n%s", s.journalText(es))
		Expect(retries[0].Token == newAccess).To(BeTrue(),
			"P2.4: the retry should present the access token the refresh returned (%s), not %s (the old one is %s)",
			pxFingerprint(newAccess), pxFingerprint(retries[0].Token), pxFingerprint(login.Access))
		Expect(resp.Status).To(Equal(http.StatusOK), "P2.4: %s", resp)
	}, Offset(1))

	scenario("P3.1", strict, func() {
		ss := s.newSession()
		ss.login()
		s.queue(control.Fault{Route: control.RouteMe, Count: 2, Kind: control.FaultStatus, Status: http.StatusUnauthorized})
		mark := s.mark()
		resp := ss.api()
		es := s.journal(mark)
		Expect(pxOn(es, control.RouteRefresh)).To(HaveLen(1), "P3.1: exactly one refresh, whatever the retry meets; the backend saw:\n%s", s.journalText(es))
		Expect(pxOn(es, control.RouteMe)).To(HaveLen(2), "P3.1: exactly two resource calls (the first and one retry); the backend saw:\n%s", s.journalText(es))
		Expect(resp.Status).NotTo(Equal(http.StatusOK), "P3.1: the resource kept answering 401, so the client should get the failure; %s", resp)
	}, Offset(1))

	s3 := catalogue.MustLookup("P3.2")
	DescribeTable(s3.Name(), Label(s3.Group(), string(s3.Level)),
		func(status int) {
			runAtLevel(s3, strict(), func() {
				ss := s.newSession()
				ss.login()
				s.queue(control.Fault{Route: control.RouteMe, Count: 1, Kind: control.FaultStatus, Status: status})
				mark := s.mark()
				resp := ss.api()
				es := s.journal(mark)
				Expect(pxOn(es, control.RouteRefresh)).To(BeEmpty(), "P3.2: a resource answering %d must not cause a refresh; the backend saw:\n%s", status, s.journalText(es))
				Expect(pxOn(es, control.RouteMe)).To(HaveLen(1), "P3.2: a resource answering %d must not be retried; the backend saw:\n%s", status, s.journalText(es))
				if status >= 500 {
					Expect(resp.Status).To(BeNumerically(">=", 500), "P3.2: the backend's %d should reach the client as a 5xx; %s", status, resp)
				} else {
					Expect(resp.Status).To(Equal(status), "P3.2: the backend's %d should reach the client; %s", status, resp)
				}
			})
		},
		func(status int) string { return fmt.Sprintf("P3.2 resource answers %d", status) },
		Entry(nil, http.StatusForbidden),
		Entry(nil, http.StatusNotFound),
		Entry(nil, http.StatusTooManyRequests),
		Entry(nil, http.StatusInternalServerError),
	)
}

// expectResealed checks that a response that followed a refresh sets the
// session cookie to a new value that carries the rotated session: replayed
// in a fresh client, it presents newAccess to the backend with no refresh.
func (s *pxSuite) expectResealed(id string, resp *pxResponse, before, newAccess string) {
	GinkgoHelper()
	name := s.sessionCookieName()
	c := resp.setsCookie(name)
	Expect(c).NotTo(BeNil(), "%s: the response after the refresh should carry a Set-Cookie %q with the rotated session; headers: %v", id, name, resp.Header)
	Expect(c.Value != before).To(BeTrue(), "%s: the Set-Cookie after the refresh should carry a new session, not the old cookie", id)

	replay := s.newSession()
	replay.setCookie(c.Value)
	mark := s.mark()
	r := replay.api()
	es := s.journal(mark)
	me := pxOn(es, control.RouteMe)
	Expect(me).NotTo(BeEmpty(), "%s: the Set-Cookie after the refresh, replayed, should reach the backend; %s", id, r)
	Expect(me[0].Token == newAccess).To(BeTrue(),
		"%s: the Set-Cookie after the refresh should carry the rotated session (access token %s), but replayed it presented %s; the backend saw:\n%s",
		id, pxFingerprint(newAccess), pxFingerprint(me[0].Token), s.journalText(es))
	Expect(pxOn(es, control.RouteRefresh)).To(BeEmpty(), "%s: the rotated session needs no refresh; the backend saw:\n%s", id, s.journalText(es))
}
