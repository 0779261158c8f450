package proxysuite

import (
	"net/http"
	"sort"
	"sync"
	"time"

	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/spec/harness"
)

// concurrentRequests is how many requests P7.1 and P7.3 send at once.
const concurrentRequests = 10

// raceWindow holds the first refresh at the backend for a moment, so that
// concurrent requests surely overlap it: without it a fast target might
// serialise them by luck and hide a missing lock.
const raceWindow = 300 * time.Millisecond

// P7: concurrency, the failure users meet most: several requests of one
// session meet the expired token at once.
func (s *suite) concurrencySpecs(strict func() bool) {
	harness.It("P7.1", strict, s.concurrentRequestsShareRefresh)
	harness.It("P7.2", strict, s.sessionsRefreshIndependently)
	harness.It("P7.3", strict, s.concurrencyWithGraceWindow)
	harness.It("P7.4", strict, s.instancesShareRefresh) // instances.go
}

// P7.1
func (s *suite) concurrentRequestsShareRefresh() {
	ss := s.newSession()
	login := ss.login()
	s.expire(login.Family)
	s.queue(control.Fault{Route: control.RouteRefresh, Count: 1, Kind: control.FaultDelay, Delay: control.Duration(raceWindow)})
	mark := s.mark()
	resps := atOnce(concurrentRequests, func(int) (*response, error) { return ss.sendAPI() })
	es := s.journal(mark)
	refreshes := onRoutes(es, control.RouteRefresh)
	Expect(refreshes).To(HaveLen(1), "%d concurrent requests after expiry should cause exactly one refresh; the backend saw:\n%s", concurrentRequests, s.journalText(es))
	for i, r := range resps {
		Expect(r.err).NotTo(HaveOccurred(), "request %d", i)
		Expect(r.resp.Status).To(Equal(http.StatusOK), "every concurrent request should succeed; request %d: %s", i, r.resp)
	}
	newAccess, _ := issuedTokens(refreshes[0])

	// Every Set-Cookie among them must carry the rotated session. Sealed
	// cookies differ byte for byte (a fresh nonce each time), so each one
	// is replayed: the backend must see the rotated access token.
	name := s.sessionCookieName()
	values := map[string]bool{}
	for _, r := range resps {
		if c := r.resp.setCookie(name); c != nil {
			Expect(isClearing(c)).To(BeFalse(), "no concurrent request may clear the session")
			values[c.Value] = true
		}
	}
	Expect(values).NotTo(BeEmpty(), "the responses should carry the rotated session in a Set-Cookie")
	for _, v := range sortedKeys(values) {
		replay := s.newSession()
		replay.setCookie(v)
		mark := s.mark()
		r := replay.api()
		es := s.journal(mark)
		Expect(r.Status).To(Equal(http.StatusOK), "a Set-Cookie of the concurrent responses, replayed, should be a working session; %s", r)
		me := onRoutes(es, control.RouteMe)
		Expect(me).NotTo(BeEmpty())
		Expect(me[0].Token == newAccess).To(BeTrue(),
			"every Set-Cookie among the concurrent responses should carry the rotated session (access token %s), but one carried %s; the backend saw:\n%s",
			control.Fingerprint(newAccess), control.Fingerprint(me[0].Token), s.journalText(es))
		Expect(onRoutes(es, control.RouteRefresh)).To(BeEmpty(), "a replayed rotated session needs no refresh; the backend saw:\n%s", s.journalText(es))
	}
}

// P7.2
func (s *suite) sessionsRefreshIndependently() {
	a, b := s.newSession(), s.newSession()
	la, lb := a.login(), b.login()
	s.expire(la.Family)
	s.expire(lb.Family)
	s.queue(control.Fault{Route: control.RouteRefresh, Count: 1, Kind: control.FaultDelay, Delay: control.Duration(raceWindow)})
	mark := s.mark()
	sessions := []*session{a, b}
	resps := atOnce(2, func(i int) (*response, error) { return sessions[i].sendAPI() })
	es := s.journal(mark)
	for i, r := range resps {
		Expect(r.err).NotTo(HaveOccurred(), "session %d", i+1)
		Expect(r.resp.Status).To(Equal(http.StatusOK), "neither session may be logged out; session %d: %s", i+1, r.resp)
	}
	refreshes := onRoutes(es, control.RouteRefresh)
	families := map[string]int{}
	for _, e := range refreshes {
		if e.Outcome == control.OutcomeOK {
			families[e.Family]++
		}
	}
	Expect(families).To(Equal(map[string]int{la.Family: 1, lb.Family: 1}),
		"two sessions expiring together should refresh independently, once each; the backend saw:\n%s", s.journalText(es))
	for i, ss := range sessions {
		mark := s.mark()
		Expect(ss.api().Status).To(Equal(http.StatusOK))
		me := onRoutes(s.journal(mark), control.RouteMe)
		Expect(me).NotTo(BeEmpty())
		Expect(me[0].Family).To(Equal([]string{la.Family, lb.Family}[i]), "session %d should keep its own family's tokens", i+1)
	}
}

// P7.3
func (s *suite) concurrencyWithGraceWindow() {
	grace := 10 * time.Second
	_, err := s.backend().UpdateSettings(s.ctx, control.SettingsPatch{GraceWindow: (*control.Duration)(&grace)})
	Expect(err).NotTo(HaveOccurred(), "turning the backend's grace window on")
	ss := s.newSession()
	login := ss.login()
	s.expire(login.Family)
	mark := s.mark()
	resps := atOnce(concurrentRequests, func(int) (*response, error) { return ss.sendAPI() })
	es := s.journal(mark)
	outcomes := map[control.Outcome]int{}
	for _, e := range onRoutes(es, control.RouteRefresh) {
		outcomes[e.Outcome]++
	}
	ok := 0
	for _, r := range resps {
		if r.err == nil && r.resp.Status == http.StatusOK {
			ok++
		}
	}
	harness.Measured("with a %s grace window, %d concurrent requests caused %d refreshes (outcomes %v); %d of them answered 200",
		grace, concurrentRequests, len(onRoutes(es, control.RouteRefresh)), outcomes, ok)
}

// sendAPI requests the profile's api route without asserting, so that it can
// run in goroutines.
func (ss *session) sendAPI() (*response, error) {
	e := ss.s.profile().Proxy.Me
	return ss.send(e.Method, e.Path, nil, "")
}

// attempt is what one of several concurrent requests got.
type attempt struct {
	resp *response
	err  error
}

// atOnce runs n requests in goroutines that all wait at one barrier and
// then go together, and returns their results in order.
func atOnce(n int, req func(i int) (*response, error)) []attempt {
	out := make([]attempt, n)
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			out[i].resp, out[i].err = req(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
