package spec

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// P4: token rotation. Every refresh rotates the refresh token, so a target
// that does not save what the refresh returned fails on the next request.
func pxRotationSpecs(s *pxSuite, strict func() bool) {
	scenario("P4.1", strict, func() {
		ss := s.newSession()
		login := ss.login()
		s.expire(login.Family)
		mark := s.mark()
		first := ss.api()
		between := s.mark()
		second := ss.api()
		es := s.journal(mark)
		Expect(first.Status).To(Equal(http.StatusOK), "P4.1: the first request after expiry should succeed; %s", first)
		Expect(second.Status).To(Equal(http.StatusOK), "P4.1: the second request should succeed; %s", second)
		refreshes := pxOn(es, control.RouteRefresh)
		Expect(refreshes).To(HaveLen(1), "P4.1: two requests in a row after expiry should cause one refresh in all; the backend saw:\n%s", s.journalText(es))
		newAccess, _ := pxIssued(refreshes[0])
		me := pxOn(s.journal(between), control.RouteMe)
		Expect(me).NotTo(BeEmpty(), "P4.1: the second request should reach the backend")
		Expect(me[0].Token == newAccess).To(BeTrue(),
			"P4.1: the second request should present the rotated access token %s at once, not %s (the expired one is %s): the refresh's tokens were not saved; the backend saw:\n%s",
			pxFingerprint(newAccess), pxFingerprint(me[0].Token), pxFingerprint(login.Access), s.journalText(es))
		Expect(me).To(HaveLen(1), "P4.1: the second request needs no retry; the backend saw:\n%s", s.journalText(es))
	}, Offset(1))

	scenario("P4.2", strict, func() {
		ss := s.newSession()
		login := ss.login()
		before := ss.cookie()
		s.expire(login.Family)
		mark := s.mark()
		resp := ss.api()
		Expect(resp.Status).To(Equal(http.StatusOK), "P4.2: the request after expiry should succeed; %s", resp)
		es := s.journal(mark)
		refreshes := pxOn(es, control.RouteRefresh)
		Expect(refreshes).To(HaveLen(1), "P4.2: the first expiry should cause one refresh; the backend saw:\n%s", s.journalText(es))
		rotatedAccess, rotated := pxIssued(refreshes[0])
		s.expectResealed("P4.2", resp, before, rotatedAccess)
		Expect(ss.cookie()).To(Equal(resp.setsCookie(s.sessionCookieName()).Value), "P4.2: the client's jar should hold the rotated session")

		s.expire(login.Family)
		mark = s.mark()
		resp = ss.api()
		es = s.journal(mark)
		refreshes = pxOn(es, control.RouteRefresh)
		Expect(refreshes).To(HaveLen(1), "P4.2: the second expiry should cause one refresh; the backend saw:\n%s", s.journalText(es))
		Expect(refreshes[0].Token == rotated).To(BeTrue(),
			"P4.2: the second refresh should present the rotated refresh token %s, not %s (the invalidated one is %s); the backend saw:\n%s",
			pxFingerprint(rotated), pxFingerprint(refreshes[0].Token), pxFingerprint(login.Refresh), s.journalText(es))
		Expect(refreshes[0].Outcome).To(Equal(control.OutcomeOK), "P4.2: the second refresh should succeed")
		Expect(resp.Status).To(Equal(http.StatusOK), "P4.2: the request after the second expiry should succeed; %s", resp)
	}, Offset(1))

	scenario("P4.3", strict, func() {
		ss := s.newSession()
		login := ss.login()
		captured := ss.cookie()
		s.expire(login.Family)
		Expect(ss.api().Status).To(Equal(http.StatusOK), "P4.3: the refresh that rotates the session should succeed")

		replay := s.newSession()
		replay.setCookie(captured)
		mark := s.mark()
		resp := replay.api()
		es := s.journal(mark)
		refreshes := pxOn(es, control.RouteRefresh)
		reuse := false
		for _, e := range refreshes {
			reuse = reuse || e.Outcome == control.OutcomeReuse
		}
		after := ss.api()
		Measured("P4.3: a cookie captured before a rotation and replayed afterwards got %d; refresh calls it caused: %d; the backend saw reuse and revoked the family: %v; the rotated session afterwards got %d",
			resp.Status, len(refreshes), reuse, after.Status)
	}, Offset(1))
}
