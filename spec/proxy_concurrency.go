package spec

import (
	"net/http"
	"sort"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// pxConcurrent is how many requests P7.1 and P7.3 send at once.
const pxConcurrent = 10

// pxRaceWindow holds the first refresh at the backend for a moment, so that
// concurrent requests surely overlap it: without it a fast target might
// serialise them by luck and hide a missing lock.
const pxRaceWindow = 300 * time.Millisecond

// P7: concurrency, the failure users meet most: several requests of one
// session meet the expired token at once.
func pxConcurrencySpecs(s *pxSuite, strict func() bool) {
	scenario("P7.1", strict, func() {
		ss := s.newSession()
		login := ss.login()
		s.expire(login.Family)
		s.queue(control.Fault{Route: control.RouteRefresh, Count: 1, Kind: control.FaultDelay, Delay: control.Duration(pxRaceWindow)})
		mark := s.mark()
		resps := pxAtOnce(pxConcurrent, func(int) (*pxResponse, error) {
			return ss.sendRoute(s.profile().Proxy.Me.Method, s.profile().Proxy.Me.Path)
		})
		es := s.journal(mark)
		refreshes := pxOn(es, control.RouteRefresh)
		Expect(refreshes).To(HaveLen(1), "P7.1: %d concurrent requests after expiry should cause exactly one refresh; the backend saw:\n%s", pxConcurrent, s.journalText(es))
		for i, r := range resps {
			Expect(r.err).NotTo(HaveOccurred(), "P7.1: request %d", i)
			Expect(r.resp.Status).To(Equal(http.StatusOK), "P7.1: every concurrent request should succeed; request %d: %s", i, r.resp)
		}
		newAccess, _ := pxIssued(refreshes[0])

		// Every Set-Cookie among them must carry the rotated session. Sealed
		// cookies differ byte for byte (a fresh nonce each time), so each one
		// is replayed: the backend must see the rotated access token.
		name := s.sessionCookieName()
		values := map[string]bool{}
		for _, r := range resps {
			if c := r.resp.setCookie(name); c != nil {
				Expect(pxIsClearing(c)).To(BeFalse(), "P7.1: no concurrent request may clear the session")
				values[c.Value] = true
			}
		}
		Expect(values).NotTo(BeEmpty(), "P7.1: the responses should carry the rotated session in a Set-Cookie")
		for _, v := range pxSortedKeys(values) {
			replay := s.newSession()
			replay.setCookie(v)
			mark := s.mark()
			r := replay.api()
			es := s.journal(mark)
			Expect(r.Status).To(Equal(http.StatusOK), "P7.1: a Set-Cookie of the concurrent responses, replayed, should be a working session; %s", r)
			me := pxOn(es, control.RouteMe)
			Expect(me).NotTo(BeEmpty())
			Expect(me[0].Token == newAccess).To(BeTrue(),
				"P7.1: every Set-Cookie among the concurrent responses should carry the rotated session (access token %s), but one carried %s; the backend saw:\n%s",
				pxFingerprint(newAccess), pxFingerprint(me[0].Token), s.journalText(es))
			Expect(pxOn(es, control.RouteRefresh)).To(BeEmpty(), "P7.1: a replayed rotated session needs no refresh; the backend saw:\n%s", s.journalText(es))
		}
	}, Offset(1))

	scenario("P7.2", strict, func() {
		a, b := s.newSession(), s.newSession()
		la, lb := a.login(), b.login()
		s.expire(la.Family)
		s.expire(lb.Family)
		s.queue(control.Fault{Route: control.RouteRefresh, Count: 1, Kind: control.FaultDelay, Delay: control.Duration(pxRaceWindow)})
		mark := s.mark()
		sessions := []*pxSession{a, b}
		resps := pxAtOnce(2, func(i int) (*pxResponse, error) {
			return sessions[i].sendRoute(s.profile().Proxy.Me.Method, s.profile().Proxy.Me.Path)
		})
		es := s.journal(mark)
		for i, r := range resps {
			Expect(r.err).NotTo(HaveOccurred(), "P7.2: session %d", i+1)
			Expect(r.resp.Status).To(Equal(http.StatusOK), "P7.2: neither session may be logged out; session %d: %s", i+1, r.resp)
		}
		refreshes := pxOn(es, control.RouteRefresh)
		families := map[string]int{}
		for _, e := range refreshes {
			if e.Outcome == control.OutcomeOK {
				families[e.Family]++
			}
		}
		Expect(families).To(Equal(map[string]int{la.Family: 1, lb.Family: 1}),
			"P7.2: two sessions expiring together should refresh independently, once each; the backend saw:\n%s", s.journalText(es))
		for i, ss := range sessions {
			mark := s.mark()
			Expect(ss.api().Status).To(Equal(http.StatusOK))
			me := pxOn(s.journal(mark), control.RouteMe)
			Expect(me).NotTo(BeEmpty())
			Expect(me[0].Family).To(Equal([]string{la.Family, lb.Family}[i]), "P7.2: session %d should keep its own family's tokens", i+1)
		}
	}, Offset(1))

	scenario("P7.3", strict, func() {
		grace := 10 * time.Second
		_, err := s.backend().UpdateSettings(s.ctx, control.SettingsPatch{GraceWindow: (*control.Duration)(&grace)})
		Expect(err).NotTo(HaveOccurred(), "turning the backend's grace window on")
		ss := s.newSession()
		login := ss.login()
		s.expire(login.Family)
		mark := s.mark()
		resps := pxAtOnce(pxConcurrent, func(int) (*pxResponse, error) {
			return ss.sendRoute(s.profile().Proxy.Me.Method, s.profile().Proxy.Me.Path)
		})
		es := s.journal(mark)
		outcomes := map[control.Outcome]int{}
		for _, e := range pxOn(es, control.RouteRefresh) {
			outcomes[e.Outcome]++
		}
		ok := 0
		for _, r := range resps {
			if r.err == nil && r.resp.Status == http.StatusOK {
				ok++
			}
		}
		Measured("P7.3: with a %s grace window, %d concurrent requests caused %d refreshes (outcomes %v); %d of them answered 200",
			grace, pxConcurrent, len(pxOn(es, control.RouteRefresh)), outcomes, ok)
	}, Offset(1))
}

// sendRoute is send without a body.
func (ss *pxSession) sendRoute(method, path string) (*pxResponse, error) {
	return ss.send(method, path, nil, "")
}

type pxResult struct {
	resp *pxResponse
	err  error
}

// pxAtOnce runs n requests in goroutines that all wait at one barrier and
// then go together, and returns their results in order.
func pxAtOnce(n int, req func(i int) (*pxResponse, error)) []pxResult {
	out := make([]pxResult, n)
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

func pxSortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
