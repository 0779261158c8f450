package proxysuite

import (
	"net/http"

	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
)

// P4: token rotation. Every refresh rotates the refresh token, so a target
// that does not save what the refresh returned fails on the next request.
func (s *suite) rotationSpecs(strict func() bool) {
	harness.It("P4.1", strict, s.rotatedTokensPersisted)
	harness.It("P4.2", strict, s.jarHoldsRotatedSession)
	harness.It("P4.3", strict, s.replayPreRotationCookie)
}

// P4.1
func (s *suite) rotatedTokensPersisted() {
	ss := s.newSession()
	login := ss.login()
	s.expire(login.Family)
	mark := s.mark()
	first := ss.api()
	between := s.mark()
	second := ss.api()
	es := s.journal(mark)
	Expect(first.Status).To(Equal(http.StatusOK), "the first request after expiry should succeed; %s", first)
	Expect(second.Status).To(Equal(http.StatusOK), "the second request should succeed; %s", second)
	refreshes := onRoutes(es, control.RouteRefresh)
	Expect(refreshes).To(HaveLen(1), "two requests in a row after expiry should cause one refresh in all; the backend saw:\n%s", s.journalText(es))
	newAccess, _ := issuedTokens(refreshes[0])
	me := onRoutes(s.journal(between), control.RouteMe)
	Expect(me).NotTo(BeEmpty(), "the second request should reach the backend")
	Expect(me[0].Token == newAccess).To(BeTrue(),
		"the second request should present the rotated access token %s at once, not %s (the expired one is %s): the refresh's tokens were not saved; the backend saw:\n%s",
		control.Fingerprint(newAccess), control.Fingerprint(me[0].Token), control.Fingerprint(login.Access), s.journalText(es))
	Expect(me).To(HaveLen(1), "the second request needs no retry; the backend saw:\n%s", s.journalText(es))
}

// P4.2
func (s *suite) jarHoldsRotatedSession() {
	ss := s.newSession()
	login := ss.login()
	before := ss.cookie()
	s.expire(login.Family)
	mark := s.mark()
	resp := ss.api()
	Expect(resp.Status).To(Equal(http.StatusOK), "the request after expiry should succeed; %s", resp)
	es := s.journal(mark)
	refreshes := onRoutes(es, control.RouteRefresh)
	Expect(refreshes).To(HaveLen(1), "the first expiry should cause one refresh; the backend saw:\n%s", s.journalText(es))
	rotatedAccess, rotated := issuedTokens(refreshes[0])
	s.expectHoldsRotated(ss, resp, before, rotatedAccess)

	s.expire(login.Family)
	mark = s.mark()
	resp = ss.api()
	es = s.journal(mark)
	refreshes = onRoutes(es, control.RouteRefresh)
	Expect(refreshes).To(HaveLen(1), "the second expiry should cause one refresh; the backend saw:\n%s", s.journalText(es))
	Expect(refreshes[0].Token == rotated).To(BeTrue(),
		"the second refresh should present the rotated refresh token %s, not %s (the invalidated one is %s); the backend saw:\n%s",
		control.Fingerprint(rotated), control.Fingerprint(refreshes[0].Token), control.Fingerprint(login.Refresh), s.journalText(es))
	Expect(refreshes[0].Outcome).To(Equal(control.OutcomeOK), "the second refresh should succeed")
	Expect(resp.Status).To(Equal(http.StatusOK), "the request after the second expiry should succeed; %s", resp)
}

// P4.3
func (s *suite) replayPreRotationCookie() {
	ss := s.newSession()
	login := ss.login()
	captured := ss.cookie()
	s.expire(login.Family)
	Expect(ss.api().Status).To(Equal(http.StatusOK), "the refresh that rotates the session should succeed")

	replay := s.newSession()
	replay.setCookie(captured)
	mark := s.mark()
	resp := replay.api()
	es := s.journal(mark)
	refreshes := onRoutes(es, control.RouteRefresh)
	reuse := false
	for _, e := range refreshes {
		reuse = reuse || e.Outcome == control.OutcomeReuse
	}
	after := ss.api()
	rules, _ := s.rotation()
	harness.Measured("under the backend's rotation %s, a cookie captured before a rotation and replayed afterwards got %d; refresh calls it caused: %d; the backend saw reuse: %v; the rotated session afterwards got %d",
		rules, resp.Status, len(refreshes), reuse, after.Status)
}
