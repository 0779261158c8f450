package proxysuite

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/spec/target"
)

// P7.4: several instances of the target, as every production deployment
// runs (replicas behind a load balancer, serverless functions, a blue/green
// pair). One browser session's requests land on different instances; when
// its access token expires, each instance that meets it must not refresh on
// its own, or the backend sees the second refresh as reuse and revokes the
// family. An in-process lock cannot span instances: a target passes only
// with a store the instances share (the reference's REDIS_URL) or a
// session pinned to one instance by the load balancer in front of it.

// staggerSpread is how far apart the staggered requests of P7.4 start.
const staggerSpread = 50 * time.Millisecond

// blipNote says why the last round of P7.4 begins with a failed refresh.
const blipNote = "the round's first refresh attempt met a backend 503 (a P6 answer, not judged here), as a lock left behind by a failed refresh would then block the requests that follow"

// P7.4
func (s *suite) instancesShareRefresh() {
	instances := s.cfg.instances()
	if len(instances) < 2 {
		Skip(fmt.Sprintf("P7.4 needs at least two instances of the target, and the run has %d: "+
			"run with --instances N (N >= 2) or the profile's target.instances, or give --target-url a comma-separated list of URLs", len(instances)))
	}
	s.expectSharedSecret(instances)
	if rules, own := s.rotation(); own {
		// The backend serves a provider's rotation (--backend-rotation):
		// the round runs under its rules, and every failure names them.
		harness.Note("under the backend's rotation " + rules.String())
		harness.Measured("ran under the backend's rotation %s", rules)
		s.providerRotation = rules.Preset
		defer func() { s.providerRotation = "" }()
	} else {
		noGrace := control.Duration(0)
		_, err := s.backend().UpdateSettings(s.ctx, control.SettingsPatch{GraceWindow: &noGrace})
		Expect(err).NotTo(HaveOccurred(), "turning the backend's grace window off: every second use of a refresh token is then reuse")
		harness.Measured("ran under the contract's rotation with the grace window off: every second use of a refresh token is reuse")
	}

	login := s.newSessionAt(instances[0]).login()
	cookie := s.sessionOf(login)
	rounds := s.cfg.repeat()
	for round := 1; round <= rounds; round++ {
		cookie = s.instancesRound(instances, login.Family, cookie, round, round == rounds)
	}
}

// instancesRound is one expiry of P7.4: the requests of one session, all
// carrying its cookie from before the rotation, spread over the instances
// at once, staggered and late; then the verdict from the journal. It
// returns a cookie of the rotated session for the next round.
func (s *suite) instancesRound(instances []target.Target, family, cookie string, round int, blip bool) string {
	GinkgoHelper()
	s.expire(family)
	mark := s.mark()
	note := ""
	if blip {
		note = s.refreshMeetsABlip(instances, cookie, round)
	}
	wave, es := s.spreadOverInstances(instances, cookie, round, mark, note)
	newAccess := s.expectOneRefreshAcross(len(instances), round, note, es)
	return s.expectEveryInstanceRotated(instances, cookie, round, newAccess, wave)
}

// refreshMeetsABlip sends one request of the session whose refresh the
// backend answers 503, and returns the note that failure messages of the
// round carry about it.
func (s *suite) refreshMeetsABlip(instances []target.Target, cookie string, round int) string {
	GinkgoHelper()
	s.queue(control.Fault{Route: control.RouteRefresh, Count: 1, Kind: control.FaultStatus, Status: http.StatusServiceUnavailable})
	first, err := s.sessionWithCookie(instances[round%len(instances)], cookie).sendAPI()
	Expect(err).NotTo(HaveOccurred(), "round %d: the request that meets the backend's 503", round)
	return fmt.Sprintf("; %s (it answered %d)", blipNote, first.Status)
}

// spreadOverInstances sends the round's requests, each with the cookie from
// before the rotation: half together and half staggered over 0-50 ms,
// request i to instance i mod N, then a late one per instance once the
// refresh has finished. Every one must be a 200 and no refresh reuse. It
// returns the first wave's answers and the round's journal.
func (s *suite) spreadOverInstances(instances []target.Target, cookie string, round, mark int, note string) ([]attempt, []control.Entry) {
	GinkgoHelper()
	n := len(instances)
	s.queue(control.Fault{Route: control.RouteRefresh, Count: 1, Kind: control.FaultDelay, Delay: control.Duration(raceWindow)})
	// Each request has a session of its own, so that every one carries the
	// cookie from before the rotation whatever the others get.
	clients := make([]*session, concurrentRequests)
	for i := range clients {
		clients[i] = s.sessionWithCookie(instances[i%n], cookie)
	}
	half := concurrentRequests / 2
	wave := atOnce(concurrentRequests, func(i int) (*response, error) {
		if i >= half {
			time.Sleep(staggerSpread * time.Duration(i-half) / time.Duration(concurrentRequests-half)) // the load's shape, not a synchronisation
		}
		return clients[i].sendAPI()
	})
	s.expectAnswered(round, n, mark, note, wave, func(i int) string { return fmt.Sprintf("request %d (instance %d)", i+1, i%n+1) }, false)

	stragglers := make([]*session, n)
	for i, inst := range instances {
		stragglers[i] = s.sessionWithCookie(inst, cookie)
	}
	late := atOnce(n, func(i int) (*response, error) { return stragglers[i].sendAPI() })
	es := s.expectAnswered(round, n, mark, note, late, func(i int) string { return fmt.Sprintf("the late request to instance %d", i+1) }, true)
	return wave, es
}

// expectOneRefreshAcross checks the round's journal for exactly one
// refresh across the n instances (the one a queued 503 met rotated
// nothing and does not count), which rotated, and a family still alive;
// it returns the rotated access token.
func (s *suite) expectOneRefreshAcross(n, round int, note string, es []control.Entry) string {
	GinkgoHelper()
	var refreshes []control.Entry
	for _, e := range onRoutes(es, control.RouteRefresh) {
		if e.Outcome != control.OutcomeFault {
			refreshes = append(refreshes, e)
		}
	}
	Expect(refreshes).To(HaveLen(1),
		"round %d: one expiry should cause exactly one refresh across the %d instances%s; the backend saw:\n%s", round, n, note, s.journalText(es))
	Expect(refreshes[0].Outcome).To(Equal(control.OutcomeOK), "round %d: the refresh should rotate the tokens; the backend saw:\n%s", round, s.journalText(es))
	newAccess, newRefresh := issuedTokens(refreshes[0])
	s.expectFamilyAlive(fmt.Sprintf("round %d", round), newRefresh)
	return newAccess
}

// expectEveryInstanceRotated checks that every instance ends on the rotated
// session: what each handed out in the wave (or, for a target that keeps
// its cookie, the cookie itself) presents the rotated access token on every
// instance, with no refresh. It returns instance 1's cookie.
func (s *suite) expectEveryInstanceRotated(instances []target.Target, cookie string, round int, newAccess string, wave []attempt) string {
	GinkgoHelper()
	n := len(instances)
	next := make([]string, n)
	for i, a := range wave {
		if s.setsSession(a.resp) && next[i%n] == "" {
			next[i%n] = s.sessionAfter(cookie, a.resp)
		}
	}
	for i := range next {
		if next[i] == "" {
			next[i] = cookie
		}
		for j, inst := range instances {
			mark := s.mark()
			r, err := s.sessionWithCookie(inst, next[i]).sendAPI()
			es := s.journal(mark)
			Expect(err).NotTo(HaveOccurred())
			Expect(r.Status).To(Equal(http.StatusOK), "round %d: the session instance %d handed out should work on instance %d; %s", round, i+1, j+1, r)
			me := onRoutes(es, control.RouteMe)
			Expect(me).NotTo(BeEmpty(), "round %d: instance %d made no resource call", round, j+1)
			Expect(me[0].Token == newAccess).To(BeTrue(),
				"round %d: the session instance %d handed out should present the rotated access token %s on instance %d, but presented %s; the backend saw:\n%s",
				round, i+1, control.Fingerprint(newAccess), j+1, control.Fingerprint(me[0].Token), s.journalText(es))
			Expect(onRoutes(es, control.RouteRefresh)).To(BeEmpty(), "round %d: the rotated session needs no refresh on instance %d; the backend saw:\n%s", round, j+1, s.journalText(es))
		}
	}
	return next[0]
}

// expectAnswered checks a round's journal since mark for reuse, then that
// every one of answers is a 200, and returns the journal. where names
// answer i in a message.
func (s *suite) expectAnswered(round, n, mark int, note string, answers []attempt, where func(i int) string, last bool) []control.Entry {
	GinkgoHelper()
	es := s.journal(mark)
	// What the backend made of the round's refreshes, before the verdict:
	// under a provider's rotation (--backend-rotation) a second refresh
	// meets the provider's answer.
	outcomes := map[control.Outcome]int{}
	for _, e := range onRoutes(es, control.RouteRefresh) {
		outcomes[e.Outcome]++
	}
	if last || outcomes[control.OutcomeReuse] > 0 {
		rotation := "the contract's rotation, grace window off"
		if s.providerRotation != "" {
			rotation = "the rotation " + s.providerRotation
		}
		harness.Measured("round %d under %s: the backend answered the refreshes of the %d instances %v", round, rotation, n, outcomes)
	}
	for _, e := range onRoutes(es, control.RouteRefresh) {
		Expect(e.Outcome).NotTo(Equal(control.OutcomeReuse),
			"round %d: the backend saw the refresh token used twice (reuse) and revoked the family: more than one of the %d instances refreshed with it%s\n"+
				"(an in-process lock cannot span instances: share the refresh through a store all of them reach, as the reference does with REDIS_URL, or rely on a backend grace window; docs/scaling.md)\nthe backend saw:\n%s",
			round, n, note, s.journalText(es))
	}
	for i, a := range answers {
		Expect(a.err).NotTo(HaveOccurred(), "round %d: %s", round, where(i))
		Expect(a.resp.Status).To(Equal(http.StatusOK),
			"round %d: every request of the session after expiry should be answered 200, whichever instance it reached; %s got %s%s\nthe backend saw:\n%s",
			round, where(i), a.resp, note, s.journalText(es))
	}
	return es
}

// expectFamilyAlive checks the family's newest refresh token still works:
// no instance (P7.4) and no request of the round (P7.1) got it revoked.
// what names the round in messages.
func (s *suite) expectFamilyAlive(what, refresh string) {
	GinkgoHelper()
	tokens, err := s.backend().Tokens(s.ctx)
	Expect(err).NotTo(HaveOccurred(), "reading the backend's issued tokens")
	for _, t := range tokens {
		if t.Value == refresh {
			Expect(t.State).To(Equal(control.StateActive), "%s: the family's newest refresh token %s should still work; it is %s", what, control.Fingerprint(refresh), t.State)
			return
		}
	}
	Fail(fmt.Sprintf("%s: the backend does not list the refresh token %s its refresh issued", what, control.Fingerprint(refresh)))
}

// expectSharedSecret checks, for instances the suite started, that they run
// with one SESSION_SECRET: a cookie of one must open on the others.
func (s *suite) expectSharedSecret(instances []target.Target) {
	GinkgoHelper()
	first := instances[0].Env()["SESSION_SECRET"]
	for i, inst := range instances[1:] {
		if env := inst.Env(); env != nil && first != "" {
			Expect(env["SESSION_SECRET"] == first).To(BeTrue(), "instance %d runs with another SESSION_SECRET than instance 1: the instances of P7.4 must share it", i+2)
		}
	}
}

// newSessionAt is a session whose requests go to one instance.
func (s *suite) newSessionAt(t target.Target) *session {
	GinkgoHelper()
	ss := s.newSession()
	base, err := url.Parse(strings.TrimRight(t.URL(), "/"))
	Expect(err).NotTo(HaveOccurred(), "an instance's URL")
	ss.base = base
	return ss
}

// sessionWithCookie is a session of one instance whose jar holds the
// session cookie value given.
func (s *suite) sessionWithCookie(t target.Target, cookie string) *session {
	GinkgoHelper()
	ss := s.newSessionAt(t)
	ss.setCookie(cookie)
	return ss
}
