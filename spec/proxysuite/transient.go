package proxysuite

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
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

// P6.2. The backend holds the refresh past twice the target's timeout, so
// that a target waiting twice as long as it says (a retry of the refresh,
// a doubled timeout) still times out, and answers too late.
func (s *suite) refreshTimeoutKeepsSession() {
	timeout := s.profile().Target.BackendTimeout.Std()
	bound := answerBound(timeout)
	By(fmt.Sprintf("a refresh the backend holds longer than the target's backend timeout (%s); the answer is due within %s", timeout, bound))
	s.expectSurvivesWithin("a refresh that timed out", gatewayStatuses,
		control.Fault{Route: control.RouteRefresh, Kind: control.FaultDelay, Delay: control.Duration(2*timeout + delayGrace)}, bound)
	By("a refresh whose connection the backend drops")
	s.expectSurvivesWithin("a refresh whose connection dropped", gatewayStatuses,
		control.Fault{Route: control.RouteRefresh, Kind: control.FaultDrop}, bound)
}

// answerBound is how long P6.2 lets the client wait for its answer: the
// target's backend timeout plus a slack for the machine's load, 1 s or half
// the timeout, whichever is larger (docs/decisions.md). A target that waits
// twice its timeout goes past it for any timeout over 1 s.
func answerBound(timeout time.Duration) time.Duration {
	return timeout + max(time.Second, timeout/2)
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
	s.expectSurvivesWithin(what, statuses, fault, 0)
}

// expectSurvivesWithin is expectSurvives with a bound on how long each
// route's answer to the failed refresh may take (none when zero).
func (s *suite) expectSurvivesWithin(what string, statuses []int, fault control.Fault, bound time.Duration) {
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
		Expect(v.failed.err == nil).To(holds(), "%s: the suite could not send its request to the %s: %v", what, v.rt.Name, v.failed.err)
	}
	// A delayed or dropped request may be journaled a moment after the
	// target gave up on it.
	var es []control.Entry
	var journalErr error
	Eventually(func() bool {
		es, journalErr = s.backend().Journal(s.ctx, mark)
		return journalErr == nil && len(onRoutes(es, control.RouteRefresh)) >= len(all)
	}).WithTimeout(time.Second).WithPolling(20*time.Millisecond).Should(holds(),
		func() string {
			if journalErr != nil {
				return fmt.Sprintf("%s: reading the backend's journal failed: %v", what, journalErr)
			}
			return fmt.Sprintf("%s: each of the %d routes should try the refresh, but the backend saw %d refreshes:\n%s",
				what, len(all), len(onRoutes(es, control.RouteRefresh)), s.journalText(es))
		})
	if bound > 0 {
		var slowest time.Duration
		for _, v := range all {
			slowest = max(slowest, v.failed.took)
		}
		harness.Measured("after %s the slowest answer came in %s (due within %s)", what, slowest.Round(time.Millisecond), bound)
	}
	for _, v := range all {
		s.expectFailureKeptSession(what, statuses, v, ofFamily(es, v.login.Family))
		if bound > 0 {
			Expect(v.failed.took <= bound).To(holds(),
				"after %s the %s should answer within %s (the target's BACKEND_TIMEOUT of %s plus the slack), but it answered after %s: %s",
				what, v.rt.Name, bound, s.profile().Target.BackendTimeout.Std(), v.failed.took.Round(time.Millisecond), describeResponse(v.failed.resp))
		}
	}
	for _, v := range all {
		s.expectRecovers(what, v)
	}
}

// expectFailureKeptSession judges one route's answer to the failed refresh.
func (s *suite) expectFailureKeptSession(what string, statuses []int, v *survivor, es []control.Entry) {
	GinkgoHelper()
	refreshes := len(onRoutes(es, control.RouteRefresh))
	Expect(refreshes == 1).To(holds(),
		"%s on the %s: the target should try the refresh once, but it tried %d times; the backend saw:\n%s", what, v.rt.Name, refreshes, s.journalText(es))
	Expect(v.failed.err == nil).To(holds(), "%s: the target should answer the %s, but the request failed: %v", what, v.rt.Name, v.failed.err)
	failed := v.failed.resp
	Expect(!s.endsSession(v.rt, failed)).To(holds(),
		"after %s the session must survive, but the %s answered as if it had ended: %s", what, v.rt.Name, describeResponse(failed))
	if statuses != nil {
		Expect(slices.Contains(statuses, failed.Status)).To(holds(),
			"after %s the %s should answer %s, but it answered %s", what, v.rt.Name, statusList(statuses), describeResponse(failed))
	}
	Expect(!s.clearsSession(failed)).To(holds(),
		"after %s the session must survive, but the %s's answer clears the cookie: %s", what, v.rt.Name, describeResponse(failed))
	Expect(v.ss.cookie() != "").To(holds(), "after %s the client should still hold the session cookie, but it holds none", what)
	if s.setsSession(failed) && s.sessionAfter(v.before, failed) != v.before {
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
	Expect(next.Status == http.StatusOK).To(holds(),
		"once the backend recovers from %s, the next request to the %s should succeed without a new login, but it answered %s", what, v.rt.Name, describeResponse(next))
	refreshes := onRoutes(es, control.RouteRefresh)
	Expect(len(refreshes) > 0).To(holds(),
		"the next request to the %s should refresh the still-expired token, but it called no refresh; the backend saw:\n%s", v.rt.Name, s.journalText(es))
	Expect(refreshes[0].Token == v.login.Refresh).To(holds(),
		"the stored refresh token must not be overwritten by %s: the %s's next refresh should present %s, not %s; the backend saw:\n%s",
		what, v.rt.Name, control.Fingerprint(v.login.Refresh), control.Fingerprint(refreshes[0].Token), s.journalText(es))
	Expect(len(onRoutes(es, control.RouteLogin)) == 0).To(holds(),
		"after %s the %s should recover without a new login, but the backend saw one:\n%s", what, v.rt.Name, s.journalText(es))
}

// describeResponse is a response as one clause of a message: the request, the
// status, the content type, the start of the body on one line, and where
// it redirects: GET /profile → 303 (text/html, body "See Other", Location
// "/login").
func describeResponse(r *response) string {
	var parts []string
	if ct := r.Header.Get("Content-Type"); ct != "" {
		parts = append(parts, ct)
	}
	if body := strings.Join(strings.Fields(string(r.Body)), " "); body != "" {
		const limit = 120
		if len([]rune(body)) > limit {
			body = string([]rune(body)[:limit]) + "…"
		}
		parts = append(parts, fmt.Sprintf("body %q", body))
	}
	if loc := r.Header.Get("Location"); loc != "" {
		parts = append(parts, fmt.Sprintf("Location %q", loc))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%s → %d", r.Request, r.Status)
	}
	return fmt.Sprintf("%s → %d (%s)", r.Request, r.Status, strings.Join(parts, ", "))
}

// statusList lists statuses as a message says them: "502, 503 or 504".
func statusList(statuses []int) string {
	s := make([]string, len(statuses))
	for i, st := range statuses {
		s[i] = strconv.Itoa(st)
	}
	return listOf(s, "or")
}

// holds is a Gomega matcher for a check whose description says it all:
// its failure is the description alone, where Gomega's own matchers add
// "Expected <bool>: true to be false". It goes through Gomega all the same,
// so a SHOULD's failure is recorded as its verdict.
func holds() types.GomegaMatcher { return holdsMatcher{} }

type holdsMatcher struct{}

func (holdsMatcher) Match(actual any) (bool, error) {
	ok, isBool := actual.(bool)
	if !isBool {
		return false, fmt.Errorf("holds wants a bool, got %T", actual)
	}
	return ok, nil
}

func (holdsMatcher) FailureMessage(any) string        { return "" }
func (holdsMatcher) NegatedFailureMessage(any) string { return "" }
