package proxysuite

import (
	"fmt"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// P7.2's second part: session A's refresh hangs at the backend past the
// target's BACKEND_TIMEOUT; session B, which meets its expired token once A
// is at its refresh (the journal shows A's 401), must not wait for it. A
// process-wide lock around every refresh makes B wait out A's timeout.
//
// The backend holds the first refresh that reaches it. B starts only after
// A's 401, so that is A's almost always; should B's arrive first, the
// roles swap: the journal says whose refresh was held, and the other
// session is the one judged.
func (s *suite) slowRefreshHoldsNoOtherSession() {
	timeout := s.profile().Target.BackendTimeout.Std()
	bound := timeout / 2
	By(fmt.Sprintf("session A's refresh held past the target's backend timeout (%s); session B's request is due within %s", timeout, bound))
	a, b := s.newSession(), s.newSession()
	la, lb := a.login(), b.login()
	s.expire(la.Family)
	s.expire(lb.Family)
	s.queue(control.Fault{Route: control.RouteRefresh, Count: 1, Kind: control.FaultDelay, Delay: control.Duration(timeout + delayGrace)})
	mark := s.mark()

	var got [2]attempt
	aDone := make(chan struct{})
	go func() {
		defer close(aDone)
		began := time.Now()
		got[0].resp, got[0].err = a.sendAPI()
		got[0].took = time.Since(began)
	}()
	s.awaitRefused(mark, la.Family, 1, "session A's first call")
	began := time.Now()
	got[1].resp, got[1].err = b.sendAPI()
	got[1].took = time.Since(began)
	<-aDone
	Expect(s.backend().ClearFaults(s.ctx)).To(Succeed(), "clearing the hold, had no refresh reached the backend")

	es := s.journal(mark)
	held := ""
	for _, e := range onRoutes(es, control.RouteRefresh) {
		if e.Fault == control.FaultDelay {
			held = e.Family
		}
	}
	Expect(held).NotTo(BeEmpty(), "the backend should have held one session's refresh; it saw:\n%s", s.journalText(es))
	other, name := got[1], "session B"
	if held == lb.Family {
		other, name = got[0], "session A"
	}
	Expect(other.err).NotTo(HaveOccurred(), name)
	Expect(other.resp.Status).To(Equal(http.StatusOK), "%s, whose own refresh was not held, should answer 200; it got %s", name, other.resp)
	Expect(other.took).To(BeNumerically("<", bound),
		"%s, whose own refresh was not held, should answer within %s (half the target's backend timeout) while the other session's refresh hangs, but took %s: one session's slow refresh held up another's (a lock shared by every session?); the backend saw:\n%s",
		name, bound, other.took.Round(time.Millisecond), s.journalText(es))
}
