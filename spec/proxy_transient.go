package spec

import (
	"fmt"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/spec/catalogue"
)

// P6: a refresh that fails for a reason other than invalid_grant is not the
// user's fault; the session must survive it.
func pxTransientSpecs(s *pxSuite, strict func() bool) {
	// P6.1 injects statuses the client may not get back as they are (502 and
	// 503 are the allowed answers), so that a target passing the backend's
	// status through fails on 500 and 504; 502 checks the session survives a
	// status that happens to be allowed.
	s61 := catalogue.MustLookup("P6.1")
	DescribeTable(s61.Name(), Label(s61.Group(), string(s61.Level)),
		func(status int) {
			runAtLevel(s61, strict(), func() {
				s.expectSurvives("P6.1", fmt.Sprintf("a refresh answered %d", status), []int{502, 503},
					control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: status})
			})
		},
		Entry("P6.1 refresh answered 500", http.StatusInternalServerError),
		Entry("P6.1 refresh answered 502", http.StatusBadGateway),
		Entry("P6.1 refresh answered 504", http.StatusGatewayTimeout),
	)

	scenario("P6.2", strict, func() {
		timeout := s.profile().Target.BackendTimeout.Std()
		By("a refresh the backend holds longer than the target's backend timeout")
		s.expectSurvives("P6.2", "a refresh that timed out", []int{502, 503},
			control.Fault{Route: control.RouteRefresh, Kind: control.FaultDelay, Delay: control.Duration(2*timeout + pxGrace)})
		By("a refresh whose connection the backend drops")
		s.expectSurvives("P6.2", "a refresh whose connection dropped", []int{502, 503},
			control.Fault{Route: control.RouteRefresh, Kind: control.FaultDrop})
	}, Offset(1))

	s63 := catalogue.MustLookup("P6.3")
	DescribeTable(s63.Name(), Label(s63.Group(), string(s63.Level)),
		func(body control.FaultBody) {
			runAtLevel(s63, strict(), func() {
				s.expectSurvives("P6.3", "a refresh answered 200 with a malformed body ("+string(body)+")", []int{502, 503},
					control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: http.StatusOK, Body: body})
			})
		},
		Entry("P6.3 refresh answer is HTML", control.BodyHTML),
		Entry("P6.3 refresh answer is truncated JSON", control.BodyTruncated),
		Entry("P6.3 refresh answer has no access_token", control.BodyMissingField),
	)

	scenario("P6.4", strict, func() {
		s.expectSurvives("P6.4", "a refresh answered 429", []int{429, 502, 503},
			control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: http.StatusTooManyRequests})
	}, Offset(1))
}

// pxGrace is how much longer than the target's backend timeout the suite
// lets a delayed refresh hang.
const pxGrace = time.Second

// expectSurvives logs in, expires the access token, makes the next refresh
// fail with fault, and checks that the client gets one of statuses, the
// session is kept (not cleared, stored tokens not overwritten), and the next
// request succeeds with a refresh that presents the session's original
// refresh token, without a new login.
func (s *pxSuite) expectSurvives(id, what string, statuses []int, fault control.Fault) {
	GinkgoHelper()
	ss := s.newSession()
	login := ss.login()
	before := ss.cookie()
	s.expire(login.Family)
	fault.Count = 1
	s.queue(fault)

	mark := s.mark()
	failed := ss.api()
	// A delayed or dropped request may be journaled a moment after the
	// target gave up on it.
	var es []control.Entry
	Eventually(func(g Gomega) {
		var err error
		es, err = s.backend().Journal(s.ctx, mark)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(pxOn(es, control.RouteRefresh)).NotTo(BeEmpty())
	}).WithTimeout(time.Second).WithPolling(20*time.Millisecond).Should(Succeed(),
		func() string {
			return fmt.Sprintf("%s: %s: the target should try the refresh; the backend saw:\n%s", id, what, s.journalText(es))
		})
	Expect(pxOn(es, control.RouteRefresh)).To(HaveLen(1), "%s: %s: the target should try the refresh once; the backend saw:\n%s", id, what, s.journalText(es))
	mark = es[len(es)-1].Seq
	Expect(failed.Status).To(BeElementOf(statuses), "%s: after %s the client should get one of %v; %s", id, what, statuses, failed)
	name := s.sessionCookieName()
	Expect(failed.clearsCookie(name)).To(BeFalse(), "%s: after %s the session must survive, but the response clears the cookie", id, what)
	Expect(ss.cookie()).NotTo(BeEmpty(), "%s: after %s the client should still hold the session cookie", id, what)
	if c := failed.setsCookie(name); c != nil && c.Value != before {
		By(id + ": the failed response rewrote the session cookie; the next request shows whether the tokens survived")
	}

	next := ss.api()
	es = s.journal(mark)
	Expect(next.Status).To(Equal(http.StatusOK), "%s: once the backend recovers from %s, the next request should succeed without a new login; %s", id, what, next)
	var refreshes []control.Entry
	for _, e := range pxOn(es, control.RouteRefresh) {
		if e.Fault == "" {
			refreshes = append(refreshes, e)
		}
	}
	Expect(refreshes).NotTo(BeEmpty(), "%s: the next request should refresh the still-expired token; the backend saw:\n%s", id, s.journalText(es))
	Expect(refreshes[0].Token == login.Refresh).To(BeTrue(),
		"%s: the stored refresh token must not be overwritten by %s: the next refresh should present %s, not %s; the backend saw:\n%s",
		id, what, pxFingerprint(login.Refresh), pxFingerprint(refreshes[0].Token), s.journalText(es))
	Expect(pxOn(es, control.RouteLogin)).To(BeEmpty(), "%s: no new login", id)
}
