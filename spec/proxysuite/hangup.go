package proxysuite

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// hangupWaiters is how many requests of the session wait on the refresh
// that P7.5's hung-up request started.
const hangupWaiters = concurrentRequests - 1

// P7.5: the request that started a shared refresh hangs up while the
// backend holds the refresh; the requests of the session waiting on that
// refresh must still be answered, and the rotation kept. Each step waits
// for the backend's journal to show the previous one: request 1's 401,
// then every waiter's 401, and only then request 1's client goes away.
func (s *suite) hangupDoesNotFailWaiters() {
	ss := s.newSession()
	login := ss.login()
	before := ss.cookie()
	s.expire(login.Family)
	hold := min(s.profile().Target.BackendTimeout.Std()/2, 2*time.Second)
	s.queue(control.Fault{Route: control.RouteRefresh, Count: 1, Kind: control.FaultDelay, Delay: control.Duration(hold)})
	mark := s.mark()

	ctx, hangUp := context.WithCancel(s.ctx)
	defer hangUp()
	first := s.sessionWithCookie(s.cfg.Target, before)
	first.ctx = ctx
	firstDone := make(chan struct{})
	go func() {
		defer close(firstDone)
		defer GinkgoRecover()
		_, _ = first.sendAPI() // its answer, if any, is not judged: its client is gone
	}()
	s.awaitRefused(mark, login.Family, 1, "request 1's first call")

	waiters := make([]*session, hangupWaiters)
	for i := range waiters {
		waiters[i] = s.sessionWithCookie(s.cfg.Target, before)
	}
	done := make(chan []attempt, 1)
	go func() {
		done <- atOnce(hangupWaiters, func(i int) (*response, error) {
			return waiters[i].sendKind(mixedKind(i), fmt.Sprintf("P7.5 request %d", i+2))
		})
	}()
	s.awaitRefused(mark, login.Family, 1+hangupWaiters, "the waiting requests' first calls")
	hangUp()
	<-firstDone
	got := <-done

	es := ofFamily(s.journal(mark), login.Family)
	journal := s.journalText(es)
	refreshes := onRoutes(es, control.RouteRefresh)
	Expect(refreshes).NotTo(BeEmpty(), "the backend should see the refresh request 1 started; it saw:\n%s", journal)
	ok := refreshes[len(refreshes)-1]
	var resps []*response
	for i, a := range got {
		what := fmt.Sprintf("request %d of %d, waiting on the refresh while request 1 hung up", i+2, hangupWaiters+1)
		Expect(a.err).NotTo(HaveOccurred(), what)
		s.expectKindSucceeded(what, mixedKind(i), a.resp, es)
		resps = append(resps, a.resp)
	}
	Expect(refreshes).To(HaveLen(1), "request 1 hanging up should not cost its session a second refresh; the backend saw:\n%s", journal)
	Expect(ok.Outcome).To(Equal(control.OutcomeOK), "the refresh request 1 started should rotate the tokens although request 1 hung up; the backend saw:\n%s", journal)
	newAccess, newRefresh := issuedTokens(ok)
	s.expectFamilyAlive("after request 1 hung up", newRefresh)
	s.expectResponsesCarryRotated("after request 1 hung up", before, waiters[0].cookie(), resps, newAccess)

	// The session holds the rotation: its next request presents the new
	// access token and refreshes nothing.
	mark = s.mark()
	resp := waiters[0].api()
	after := s.journal(mark)
	Expect(resp.Status).To(Equal(200), "the session's next request should answer 200; it got %s", resp)
	Expect(onRoutes(after, control.RouteRefresh)).To(BeEmpty(), "the session should keep the rotation, so its next request needs no refresh; the backend saw:\n%s", s.journalText(after))
	me := onRoutes(after, control.RouteMe)
	Expect(me).NotTo(BeEmpty(), "the session's next request should call the backend; it saw:\n%s", s.journalText(after))
	Expect(me[0].Token == newAccess).To(BeTrue(), "the session's next request should present the rotated access token %s, not %s",
		control.Fingerprint(newAccess), control.Fingerprint(me[0].Token))
}

// awaitRefused waits until the backend has answered n resource calls of the
// family with 401 since mark: the requests have met the expired token and
// are at their refresh.
func (s *suite) awaitRefused(mark int, family string, n int, what string) {
	GinkgoHelper()
	count := func() int {
		refused := 0
		for _, e := range onRoutes(ofFamily(s.journal(mark), family), control.RouteMe, control.RouteProfile) {
			if e.Status == 401 {
				refused++
			}
		}
		return refused
	}
	Eventually(count).WithTimeout(s.cfg.requestTimeout()).WithPolling(5*time.Millisecond).Should(BeNumerically(">=", n),
		"the backend should answer %s with 401 (the expired access token) within %s", what, s.cfg.requestTimeout())
}
