package proxysuite

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
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
	harness.It("P7.4", strict, s.instancesShareRefresh)    // instances.go
	harness.It("P7.5", strict, s.hangupDoesNotFailWaiters) // hangup.go
}

// P7.1 sends each round's requests with the cookie from before the
// rotation, the way a browser sends the requests a page fires before the
// first answer is back: all at once, or staggered over raceStagger; then
// stragglers with that same cookie, after the round's refresh finished, at
// each of stragglerDelays (up to the 2 s of the catalogue). The rounds
// (Config.Repeat of each kind) overlap in time: all the at-once rounds
// together, then all the staggered ones while the stragglers go on.
const raceStagger = 50 * time.Millisecond

var stragglerDelays = []time.Duration{0, 20 * time.Millisecond, 200 * time.Millisecond, time.Second, 2 * time.Second}

// raceRound is one round of P7.1, on a session of its own: what its
// requests got, collected in goroutines and judged afterwards.
type raceRound struct {
	name      string // "round 2 of 3, staggered over 50ms", for messages
	staggered bool
	login     loginResult
	// clients hold the cookie from before the rotation, one per request:
	// the concurrentRequests first ones, then one per straggler.
	clients    []*session
	before     string // the session the clients hold before the rotation
	first      []attempt
	stragglers []attempt
}

// P7.1
func (s *suite) concurrentRequestsShareRefresh() {
	noGrace := control.Duration(0)
	_, err := s.backend().UpdateSettings(s.ctx, control.SettingsPatch{GraceWindow: &noGrace})
	Expect(err).NotTo(HaveOccurred(), "turning the backend's grace window off: every second use of a refresh token is then reuse")
	n := s.cfg.repeat()
	var atOnceRounds, staggeredRounds []*raceRound
	for i := 1; i <= n; i++ {
		atOnceRounds = append(atOnceRounds, s.newRaceRound(fmt.Sprintf("round %d of %d, all at once", i, n), false))
		staggeredRounds = append(staggeredRounds, s.newRaceRound(fmt.Sprintf("round %d of %d, staggered over %s", i, n, raceStagger), true))
	}
	rounds := append(append([]*raceRound(nil), atOnceRounds...), staggeredRounds...)
	for _, r := range rounds {
		s.expire(r.login.Family)
	}
	mark := s.mark()

	// The at-once rounds' refreshes are held at the backend for a moment,
	// so that their requests surely overlap the refresh in flight.
	s.queue(control.Fault{Route: control.RouteRefresh, Count: n, Kind: control.FaultDelay, Delay: control.Duration(raceWindow)})
	var stragglers sync.WaitGroup
	runRaceRounds(atOnceRounds, &stragglers)
	Expect(s.backend().ClearFaults(s.ctx)).To(Succeed(), "clearing the holds the at-once rounds did not use")
	runRaceRounds(staggeredRounds, &stragglers)
	stragglers.Wait()

	es := s.journal(mark)
	for _, r := range rounds {
		s.judgeRaceRound(r, ofFamily(es, r.login.Family))
	}
}

// newRaceRound logs a session in and makes the clients of its round, each
// holding the session's cookie as it is before the rotation.
func (s *suite) newRaceRound(name string, staggered bool) *raceRound {
	GinkgoHelper()
	ss := s.newSession()
	r := &raceRound{name: name, staggered: staggered, login: ss.login()}
	cookie := ss.cookie()
	r.before = cookie
	for range concurrentRequests + len(stragglerDelays) {
		r.clients = append(r.clients, s.sessionWithCookie(s.cfg.Target, cookie))
	}
	return r
}

// runRaceRounds runs the first requests of every round at once and returns
// when all are answered; each round's stragglers start then, counted in
// stragglers.
func runRaceRounds(rounds []*raceRound, stragglers *sync.WaitGroup) {
	var wg sync.WaitGroup
	for _, r := range rounds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			send := func(i int) (*response, error) { return r.send(i) }
			if r.staggered {
				r.first = spread(concurrentRequests, raceStagger, send)
			} else {
				r.first = atOnce(concurrentRequests, send)
			}
			stragglers.Add(1)
			go func() {
				defer stragglers.Done()
				r.stragglers = after(stragglerDelays, func(i int) (*response, error) { return r.send(concurrentRequests + i) })
			}()
		}()
	}
	wg.Wait()
}

// send sends the round's i-th request, of the kind mixedKind(i): a page
// that fans out mixes pages, api calls and updates, and a refresh keyed by
// anything narrower than the session's refresh token (the path, the
// request) shows as a second refresh among them.
func (r *raceRound) send(i int) (*response, error) {
	return r.clients[i].sendKind(mixedKind(i), fmt.Sprintf("P7.1 %s, request %d", r.name, i+1))
}

// judgeRaceRound checks one round from what its clients got and what the
// backend journaled for its family: exactly one refresh, which rotated;
// no reuse and no grace answer; the family alive; every request answered
// as its kind succeeds (expectKindSucceeded); every Set-Cookie among them
// the rotated session.
func (s *suite) judgeRaceRound(r *raceRound, es []control.Entry) {
	GinkgoHelper()
	By(r.name)
	journal := s.journalText(es)
	refreshes := onRoutes(es, control.RouteRefresh)
	for _, e := range refreshes {
		Expect(e.Outcome).NotTo(BeElementOf(control.OutcomeReuse, control.OutcomeGrace),
			"%s: the backend saw the refresh token %s presented again after it was used (%s): a request that came with the cookie from before the rotation refreshed on its own instead of getting the rotated session; the backend saw:\n%s",
			r.name, control.Fingerprint(e.Token), e.Outcome, journal)
	}
	Expect(refreshes).To(HaveLen(1), "%s: %d requests of one session after expiry, and %d stragglers, should cause exactly one refresh; the backend saw:\n%s",
		r.name, concurrentRequests, len(stragglerDelays), journal)
	Expect(refreshes[0].Outcome).To(Equal(control.OutcomeOK), "%s: the refresh should rotate the tokens; the backend saw:\n%s", r.name, journal)
	newAccess, newRefresh := issuedTokens(refreshes[0])
	s.expectFamilyAlive(r.name, newRefresh)

	var resps []*response
	for i, a := range append(append([]attempt(nil), r.first...), r.stragglers...) {
		what := fmt.Sprintf("request %d of %d", i+1, concurrentRequests)
		if i >= concurrentRequests {
			what = fmt.Sprintf("the straggler %s after the refresh", stragglerDelays[i-concurrentRequests])
		}
		Expect(a.err).NotTo(HaveOccurred(), "%s: %s", r.name, what)
		s.expectKindSucceeded(fmt.Sprintf("%s: %s", r.name, what), mixedKind(i), a.resp, es)
		resps = append(resps, a.resp)
	}
	s.expectResponsesCarryRotated(r.name, r.before, r.clients[0].cookie(), resps, newAccess)
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
	s.slowRefreshHoldsNoOtherSession() // independent.go
}

// P7.3
func (s *suite) concurrencyWithGraceWindow() {
	rules, own := s.rotation()
	if !own {
		grace := 10 * time.Second
		_, err := s.backend().UpdateSettings(s.ctx, control.SettingsPatch{GraceWindow: (*control.Duration)(&grace)})
		Expect(err).NotTo(HaveOccurred(), "turning the backend's grace window on")
		rules.GracePeriod = dialect.Grace(grace)
	}
	ss := s.newSession()
	login := ss.login()
	before := ss.cookie()
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
	harness.Measured("under the rotation %s, %d concurrent requests caused %d refreshes (outcomes %v); %d of them answered 200",
		rules, concurrentRequests, len(onRoutes(es, control.RouteRefresh)), outcomes, ok)
	// A straggler: the cookie from before the rotation, once the rotation
	// is done, as the provider's rules meet it.
	straggler := s.sessionWithCookie(s.cfg.Target, before)
	mark = s.mark()
	r, err := straggler.sendAPI()
	Expect(err).NotTo(HaveOccurred(), "the straggler with the cookie from before the rotation")
	late := map[control.Outcome]int{}
	for _, e := range onRoutes(s.journal(mark), control.RouteRefresh) {
		late[e.Outcome]++
	}
	harness.Measured("under the rotation %s, a straggler with the cookie from before the rotation got %d (refresh outcomes %v)",
		rules.Preset, r.Status, late)
}

// rotation is the rotation the backend serves, and whether it is a
// provider's (a --backend-rotation preset, or custom rules) rather than the
// contract's, which P7.3 and P7.4 set up themselves.
func (s *suite) rotation() (dialect.RotationRules, bool) {
	GinkgoHelper()
	set, err := s.backend().Settings(s.ctx)
	Expect(err).NotTo(HaveOccurred(), "reading the backend's rotation")
	return set.Rotation, set.Rotation.Preset != dialect.PresetContract
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
	took time.Duration // from the request's start to its answer (atOnce)
}

// spread runs n requests in goroutines, the first at once and the others
// evenly later, the last after window, and returns their results in order.
// The waits are the load's shape, not a synchronisation.
func spread(n int, window time.Duration, req func(i int) (*response, error)) []attempt {
	delays := make([]time.Duration, n)
	for i := range delays {
		if n > 1 {
			delays[i] = window * time.Duration(i) / time.Duration(n-1)
		}
	}
	return after(delays, req)
}

// after runs one request per delay in goroutines, each that long from now,
// and returns their results in order.
func after(delays []time.Duration, req func(i int) (*response, error)) []attempt {
	out := make([]attempt, len(delays))
	start := time.Now()
	var wg sync.WaitGroup
	for i, d := range delays {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTimer(time.Until(start.Add(d)))
			defer t.Stop()
			<-t.C
			out[i].resp, out[i].err = req(i)
		}()
	}
	wg.Wait()
	return out
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
			began := time.Now()
			out[i].resp, out[i].err = req(i)
			out[i].took = time.Since(began)
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
