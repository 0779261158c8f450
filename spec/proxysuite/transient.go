package proxysuite

import (
	"fmt"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/spec/harness"
)

// delayGrace is how much longer than the target's backend timeout the suite
// lets a delayed refresh hang.
const delayGrace = time.Second

// P6: a refresh that fails for a reason other than invalid_grant is not the
// user's fault; the session must survive it.
func (s *suite) transientSpecs(strict func() bool) {
	// P6.1 injects statuses the client may not get back as they are (502 and
	// 503 are the allowed answers), so that a target passing the backend's
	// status through fails on 500 and 504; 502 checks the session survives a
	// status that happens to be allowed.
	harness.Table("P6.1", strict, s.refreshStatusKeepsSession,
		harness.Entry("refresh answered 500", http.StatusInternalServerError),
		harness.Entry("refresh answered 502", http.StatusBadGateway),
		harness.Entry("refresh answered 504", http.StatusGatewayTimeout),
	)
	harness.It("P6.2", strict, s.refreshTimeoutKeepsSession)
	harness.Table("P6.3", strict, s.malformedRefreshKeepsTokens,
		harness.Entry("refresh answer is HTML", control.BodyHTML),
		harness.Entry("refresh answer is truncated JSON", control.BodyTruncated),
		harness.Entry("refresh answer has no access_token", control.BodyMissingField),
	)
	harness.It("P6.4", strict, s.refresh429KeepsSession)
}

// P6.1
func (s *suite) refreshStatusKeepsSession(status int) {
	s.expectSurvives(fmt.Sprintf("a refresh answered %d", status), []int{502, 503},
		control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: status})
}

// P6.2
func (s *suite) refreshTimeoutKeepsSession() {
	timeout := s.profile().Target.BackendTimeout.Std()
	By("a refresh the backend holds longer than the target's backend timeout")
	s.expectSurvives("a refresh that timed out", []int{502, 503},
		control.Fault{Route: control.RouteRefresh, Kind: control.FaultDelay, Delay: control.Duration(2*timeout + delayGrace)})
	By("a refresh whose connection the backend drops")
	s.expectSurvives("a refresh whose connection dropped", []int{502, 503},
		control.Fault{Route: control.RouteRefresh, Kind: control.FaultDrop})
}

// P6.3
func (s *suite) malformedRefreshKeepsTokens(body control.FaultBody) {
	s.expectSurvives("a refresh answered 200 with a malformed body ("+string(body)+")", []int{502, 503},
		control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: http.StatusOK, Body: body})
}

// P6.4
func (s *suite) refresh429KeepsSession() {
	s.expectSurvives("a refresh answered 429", []int{429, 502, 503},
		control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: http.StatusTooManyRequests})
}

// expectSurvives logs in, expires the access token, makes the next refresh
// fail with fault, and checks that the client gets one of statuses, the
// session is kept (not cleared, stored tokens not overwritten), and the next
// request succeeds with a refresh that presents the session's original
// refresh token, without a new login.
func (s *suite) expectSurvives(what string, statuses []int, fault control.Fault) {
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
		g.Expect(onRoutes(es, control.RouteRefresh)).NotTo(BeEmpty())
	}).WithTimeout(time.Second).WithPolling(20*time.Millisecond).Should(Succeed(),
		func() string {
			return fmt.Sprintf("%s: the target should try the refresh; the backend saw:\n%s", what, s.journalText(es))
		})
	Expect(onRoutes(es, control.RouteRefresh)).To(HaveLen(1), "%s: the target should try the refresh once; the backend saw:\n%s", what, s.journalText(es))
	mark = es[len(es)-1].Seq
	Expect(failed.Status).To(BeElementOf(statuses), "after %s the client should get one of %v; %s", what, statuses, failed)
	name := s.sessionCookieName()
	Expect(failed.clearsCookie(name)).To(BeFalse(), "after %s the session must survive, but the response clears the cookie", what)
	Expect(ss.cookie()).NotTo(BeEmpty(), "after %s the client should still hold the session cookie", what)
	if c := failed.setsCookie(name); c != nil && c.Value != before {
		By("the failed response rewrote the session cookie; the next request shows whether the tokens survived")
	}

	next := ss.api()
	es = s.journal(mark)
	Expect(next.Status).To(Equal(http.StatusOK), "once the backend recovers from %s, the next request should succeed without a new login; %s", what, next)
	var refreshes []control.Entry
	for _, e := range onRoutes(es, control.RouteRefresh) {
		if e.Fault == "" {
			refreshes = append(refreshes, e)
		}
	}
	Expect(refreshes).NotTo(BeEmpty(), "the next request should refresh the still-expired token; the backend saw:\n%s", s.journalText(es))
	Expect(refreshes[0].Token == login.Refresh).To(BeTrue(),
		"the stored refresh token must not be overwritten by %s: the next refresh should present %s, not %s; the backend saw:\n%s",
		what, control.Fingerprint(login.Refresh), control.Fingerprint(refreshes[0].Token), s.journalText(es))
	Expect(onRoutes(es, control.RouteLogin)).To(BeEmpty(), "no new login after %s", what)
}
