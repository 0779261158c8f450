package proxysuite

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/internal/htmlsel"
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
	s.expectHoldsRotated(ss, resp, before, c.NewAccess)
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
	s.expectHoldsRotated(ss, resp, before, c.NewAccess)
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
	Expect(c.First.Method).To(Equal(http.MethodPatch), "the first attempt should be a PATCH")
	Expect(c.First.Body).To(MatchJSON(resp.Sent), "the first attempt should forward the client's body (as sent, with its CSRF field when the profile sends one)")
	// A request with a body has a length or a transfer encoding: no headers
	// at all is a fake backend that does not journal them, not a match.
	Expect(c.First.Headers).NotTo(BeEmpty(), "the fake backend journaled no headers of the first attempt, so the Content-Type cannot be compared (is it older than the suite?)")
	for i, r := range c.Retries {
		what := fmt.Sprintf("the retry (call %d of %d after the refresh)", i+1, len(c.Retries))
		Expect(r.Method).To(Equal(c.First.Method), "%s should use the first attempt's method", what)
		Expect(r.Body).To(Equal(c.First.Body), "%s should carry the identical body as the first attempt", what)
		Expect(sameContentType(r, c.First)).To(BeTrue(),
			"%s should carry the same Content-Type as the first attempt (%q), but carried %q: a backend that reads the body by its type would ignore it",
			what, c.First.Headers["Content-Type"], r.Headers["Content-Type"])
	}
}

// sameContentType reports whether two journaled requests declared the same
// Content-Type: the same media type and parameters, whatever their case and
// spacing ("application/json; charset=utf-8" is "application/json;charset=UTF-8").
func sameContentType(a, b control.Entry) bool {
	x, y := a.Headers["Content-Type"], b.Headers["Content-Type"]
	if x == y {
		return true
	}
	mx, px, errX := mime.ParseMediaType(x)
	my, py, errY := mime.ParseMediaType(y)
	if errX != nil || errY != nil || mx != my || len(px) != len(py) {
		return false
	}
	for k, v := range px {
		if !strings.EqualFold(py[k], v) {
			return false
		}
	}
	return true
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
	for _, r := range retries {
		Expect(r.Token == newAccess).To(BeTrue(),
			"the retry should present the access token the refresh returned (%s), not %s (the old one is %s)",
			control.Fingerprint(newAccess), control.Fingerprint(r.Token), control.Fingerprint(login.Access))
	}
	Expect(resp.Status).To(Equal(http.StatusOK), "the request after the refresh should succeed; %s", resp)
}

// stubborn401s is how many 401s P3.1's resource answers: more than a
// correct target asks for (two), so that a loop shows as more refreshes.
const stubborn401s = 6

// P3.1. The text allows two endings, and the check takes both: the
// session ended (cookie cleared; no token reaches the backend afterwards),
// or the client holding the rotated session (the next request presents the
// refresh's new access token). What it never allows is the pre-rotation
// tokens: their refresh token is spent, so the next expiry would be reuse.
func (s *suite) noRetryLoop() {
	for _, rt := range s.routes() {
		By("the " + rt.Name)
		ss := s.newSession()
		login := ss.login()
		s.queue(control.Fault{Route: rt.Resource, Count: stubborn401s, Kind: control.FaultStatus, Status: http.StatusUnauthorized})
		mark := s.mark()
		resp := rt.do(ss)
		es := s.journal(mark)
		Expect(s.backend().ClearFaults(s.ctx)).To(Succeed(), "clearing the 401s the target did not ask for")
		refreshes := onRoutes(es, control.RouteRefresh)
		Expect(refreshes).To(HaveLen(1), "the %s: exactly one refresh, whatever the retry meets; the backend saw:\n%s", rt.Name, s.journalText(es))
		Expect(refreshes[0].Outcome).To(Equal(control.OutcomeOK), "the %s: the refresh itself should succeed; the backend saw:\n%s", rt.Name, s.journalText(es))
		Expect(onRoutes(es, rt.Resource)).To(HaveLen(2),
			"the %s: exactly two resource calls (the first and one retry); the backend saw:\n%s", rt.Name, s.journalText(es))
		By("the resource refused the fresh token too: the failure outcome")
		s.expectRefusedOutcome(rt, resp)

		By("the next request: no refresh, and never the pre-rotation tokens")
		newAccess, _ := issuedTokens(refreshes[0])
		mark = s.mark()
		rt.do(ss)
		es = s.journal(mark)
		Expect(onRoutes(es, control.RouteRefresh)).To(BeEmpty(),
			"the %s: the request after the failure must not refresh the tokens just rotated; the backend saw:\n%s", rt.Name, s.journalText(es))
		for _, e := range withToken(es) {
			Expect(e.Token == newAccess).To(holds(),
				"the %s: after the refused retry the client should hold no session or the rotated one, but the next request presented %s where the rotated access token is %s (the login's is %s); the backend saw:\n%s",
				rt.Name, presentedTokens([]control.Entry{e}), control.Fingerprint(newAccess), control.Fingerprint(login.Access), s.journalText(es))
		}
	}
}

// expectRefusedOutcome checks P3.1's failure outcome as the route's kind
// gives it: an api route answers 4xx (401 typically); a page redirects to
// the login page or renders an error page (4xx or 5xx); never a 200.
func (s *suite) expectRefusedOutcome(rt route, resp *response) {
	GinkgoHelper()
	if rt.Page {
		loginPath := s.profile().Proxy.LoginPage.Path
		Expect(resp.isLoginRedirect(loginPath) || resp.Status >= 400 && resp.Status <= 599).To(holds(),
			"the %s should redirect to %s or answer an error page (4xx or 5xx) when the resource refuses the fresh token too, but it answered %s", rt.Name, loginPath, describeResponse(resp))
		return
	}
	Expect(resp.Status >= 400 && resp.Status <= 499).To(holds(),
		"the %s should answer 4xx (401 typically) when the resource refuses the fresh token too, but it answered %s", rt.Name, describeResponse(resp))
}

// P3.2
func (s *suite) noRefreshOnStatus(status int) {
	loginPath := s.profile().Proxy.LoginPage.Path
	for _, rt := range s.routes() {
		By("the " + rt.Name)
		ss := s.newSession()
		ss.login()
		s.queue(control.Fault{Route: rt.Resource, Count: 1, Kind: control.FaultStatus, Status: status})
		mark := s.mark()
		resp := rt.do(ss)
		es := s.journal(mark)
		Expect(onRoutes(es, control.RouteRefresh)).To(BeEmpty(), "the %s: a resource answering %d must not cause a refresh; the backend saw:\n%s", rt.Name, status, s.journalText(es))
		Expect(onRoutes(es, rt.Resource)).To(HaveLen(1), "the %s: a resource answering %d must not be retried; the backend saw:\n%s", rt.Name, status, s.journalText(es))
		Expect(resp.isLoginRedirect(loginPath)).To(BeFalse(),
			"the %s: the backend's %d is not a lost session and must not turn into a redirect to %s; %s", rt.Name, status, loginPath, resp)
		if status >= 500 {
			Expect(resp.Status).To(BeNumerically(">=", 500), "the %s: the backend's %d should reach the client as a 5xx; %s", rt.Name, status, resp)
		} else {
			Expect(resp.Status).To(Equal(status), "the %s: the backend's %d should reach the client; %s", rt.Name, status, resp)
		}
	}
}
