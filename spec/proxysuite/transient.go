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

// gatewayStatuses are what a client may get for a refresh that failed for
// a reason other than invalid_grant (P6.1-P6.3); a page renders an error
// page with one of them.
var gatewayStatuses = []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}

// P6: a refresh that fails for a reason other than invalid_grant is not the
// user's fault; the session must survive it, on page and api routes alike.
// Each check runs on the page, the api route and the update route at once,
// a session each, so that waiting out the target's backend timeout (P6.2)
// costs one timeout, not three.
func (s *suite) transientSpecs(strict func() bool) {
	// P6.1 injects 500 as well as the allowed answers, so that a target
	// passing the backend's status through fails on it.
	harness.Table("P6.1", strict, s.refreshStatusKeepsSession,
		harness.Entry("refresh answered 500", http.StatusInternalServerError),
		harness.Entry("refresh answered 502", http.StatusBadGateway),
		harness.Entry("refresh answered 503", http.StatusServiceUnavailable),
		harness.Entry("refresh answered 504", http.StatusGatewayTimeout),
	)
	harness.It("P6.2", strict, s.refreshTimeoutKeepsSession)
	harness.Table("P6.3", strict, s.malformedRefreshKeepsTokens,
		harness.Entry("refresh answer is HTML", control.BodyHTML),
		harness.Entry("refresh answer is truncated JSON", control.BodyTruncated),
		harness.Entry("refresh answer has no access_token", control.BodyMissingField),
		harness.Entry("refresh answer has no refresh_token", control.BodyMissingRefresh),
		harness.Entry("refresh answer has empty token strings", control.BodyEmptyTokens),
		harness.Entry("refresh answer says success:false", control.BodyNotSuccess),
		harness.Entry("refresh answer has a number and an object for the tokens", control.BodyWrongTypes),
	)
	harness.It("P6.4", strict, s.refresh429KeepsSession)
}

// P6.1
func (s *suite) refreshStatusKeepsSession(status int) {
	s.expectSurvives(fmt.Sprintf("a refresh answered %d", status), gatewayStatuses,
		control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: status})
}

// P6.2
func (s *suite) refreshTimeoutKeepsSession() {
	timeout := s.profile().Target.BackendTimeout.Std()
	By(fmt.Sprintf("a refresh the backend holds longer than the target's backend timeout (%s)", timeout))
	s.expectSurvives("a refresh that timed out", gatewayStatuses,
		control.Fault{Route: control.RouteRefresh, Kind: control.FaultDelay, Delay: control.Duration(2*timeout + delayGrace)})
	By("a refresh whose connection the backend drops")
	s.expectSurvives("a refresh whose connection dropped", gatewayStatuses,
		control.Fault{Route: control.RouteRefresh, Kind: control.FaultDrop})
}

// P6.3
func (s *suite) malformedRefreshKeepsTokens(body control.FaultBody) {
	s.expectSurvives("a refresh answered 200 with a malformed body ("+string(body)+")", gatewayStatuses,
		control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: http.StatusOK, Body: body})
}

// P6.4: its text asks only that the session survive, so any answer that
// does not end the session will do.
func (s *suite) refresh429KeepsSession() {
	s.expectSurvives("a refresh answered 429", nil,
		control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: http.StatusTooManyRequests})
}

// survivor is one route's session in expectSurvives.
type survivor struct {
	rt     route
	ss     *session
	login  loginResult
	before string // the session cookie before the failed refresh
	failed attempt
}

// expectSurvives checks, on every route at once (a session each), that a
// refresh failing with fault keeps the session: the client gets one of
// statuses (any answer that does not end the session when statuses is
// nil), the session cookie is not cleared, and once the backend recovers
// the next request succeeds with a refresh that presents the session's
// original refresh token (the stored tokens were not overwritten), without
// a new login.
func (s *suite) expectSurvives(what string, statuses []int, fault control.Fault) {
	GinkgoHelper()
	var all []*survivor
	for _, rt := range s.routes() {
		ss := s.newSession()
		login := ss.login()
		all = append(all, &survivor{rt: rt, ss: ss, login: login, before: ss.cookie()})
	}
	for _, v := range all {
		s.expire(v.login.Family)
	}
	fault.Count = len(all)
	s.queue(fault)

	mark := s.mark()
	for i, a := range atOnce(len(all), func(i int) (*response, error) { return all[i].rt.send(all[i].ss) }) {
		all[i].failed = a
	}
	// A request that never reached the target (its CSRF token could not be
	// fetched, say) is the failure to report, not the refresh it never made.
	for _, v := range all {
		Expect(v.failed.err).NotTo(HaveOccurred(), "%s: the suite could not send its request to the %s", what, v.rt.Name)
	}
	// A delayed or dropped request may be journaled a moment after the
	// target gave up on it.
	var es []control.Entry
	Eventually(func(g Gomega) {
		var err error
		es, err = s.backend().Journal(s.ctx, mark)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(len(onRoutes(es, control.RouteRefresh))).To(BeNumerically(">=", len(all)))
	}).WithTimeout(time.Second).WithPolling(20*time.Millisecond).Should(Succeed(),
		func() string {
			return fmt.Sprintf("%s: each of the %d routes should try the refresh; the backend saw:\n%s", what, len(all), s.journalText(es))
		})
	for _, v := range all {
		s.expectFailureKeptSession(what, statuses, v, ofFamily(es, v.login.Family))
	}
	for _, v := range all {
		s.expectRecovers(what, v)
	}
}

// expectFailureKeptSession judges one route's answer to the failed refresh.
func (s *suite) expectFailureKeptSession(what string, statuses []int, v *survivor, es []control.Entry) {
	GinkgoHelper()
	Expect(onRoutes(es, control.RouteRefresh)).To(HaveLen(1),
		"%s on the %s: the target should try the refresh once; the backend saw:\n%s", what, v.rt.Name, s.journalText(es))
	Expect(v.failed.err).NotTo(HaveOccurred(), "%s: the target should answer the %s", what, v.rt.Name)
	failed := v.failed.resp
	Expect(s.endsSession(v.rt, failed)).To(BeFalse(),
		"after %s the session must survive, but the %s answered as if it had ended; %s, Location %q", what, v.rt.Name, failed, failed.Header.Get("Location"))
	if statuses != nil {
		Expect(failed.Status).To(BeElementOf(statuses), "after %s the %s should answer one of %v; %s", what, v.rt.Name, statuses, failed)
	}
	name := s.sessionCookieName()
	Expect(failed.clearsCookie(name)).To(BeFalse(), "after %s the session must survive, but the %s's answer clears the cookie", what, v.rt.Name)
	Expect(v.ss.cookie()).NotTo(BeEmpty(), "after %s the client should still hold the session cookie", what)
	if c := failed.setsCookie(name); c != nil && c.Value != v.before {
		By("the " + v.rt.Name + "'s failed answer rewrote the session cookie; the next request shows whether the tokens survived")
	}
}

// expectRecovers checks that the route's next request, with the backend
// well again, succeeds with a refresh that presents the session's original
// refresh token, and no new login.
func (s *suite) expectRecovers(what string, v *survivor) {
	GinkgoHelper()
	mark := s.mark()
	next := v.rt.do(v.ss)
	es := s.journal(mark)
	Expect(next.Status).To(Equal(http.StatusOK),
		"once the backend recovers from %s, the next request to the %s should succeed without a new login; %s", what, v.rt.Name, next)
	refreshes := onRoutes(es, control.RouteRefresh)
	Expect(refreshes).NotTo(BeEmpty(), "the next request to the %s should refresh the still-expired token; the backend saw:\n%s", v.rt.Name, s.journalText(es))
	Expect(refreshes[0].Token == v.login.Refresh).To(BeTrue(),
		"the stored refresh token must not be overwritten by %s: the %s's next refresh should present %s, not %s; the backend saw:\n%s",
		what, v.rt.Name, control.Fingerprint(v.login.Refresh), control.Fingerprint(refreshes[0].Token), s.journalText(es))
	Expect(onRoutes(es, control.RouteLogin)).To(BeEmpty(), "no new login after %s", what)
}
