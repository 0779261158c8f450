package proxysuite

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/target"
)

// tampered is one way of breaking a valid session cookie: make turns the
// cookie into the one presented. appended says the result is the valid
// cookie with bytes after it, which a target may open to exactly the
// session it holds (stock iron-session reads a seal up to its version
// suffix): that is measured, not failed. lastFlipped says the change is
// the value's last character, which may be such a suffix ("~2"), outside
// what the seal protects: opening to exactly its own session is measured
// too.
type tampered struct {
	make        func(valid string) string
	appended    bool
	lastFlipped bool
	unsealed    *unsealed // instead of make: a session no seal protects
}

// oversize is how long the oversized cookies are: several KB, past what a
// browser keeps.
const oversize = 6000

// P8: security. P8.4 (the leak scan's verdict) is registered last, apart
// (leak.go).
func (s *suite) securitySpecs(strict func() bool) {
	entries := []harness.TableEntry[tampered]{
		harness.Entry("one byte flipped at the start", tampered{make: flipAt(0)}), // in the main cookie, its companions kept
		harness.Entry("one byte flipped in the middle", tampered{make: flipAt(1)}),
		harness.Entry("one byte flipped at the end", tampered{make: flipAt(2), lastFlipped: true}),
		harness.Entry("truncated", tampered{make: func(v string) string { return v[:len(v)/2] }}),
		harness.Entry("garbage", tampered{make: func(string) string { return "garbage-" + randomHex(20) + "|not|sealed" }}),
		harness.Entry("oversized junk that holds no valid seal", tampered{make: func(string) string { return randomBase64URL(oversize) }}),
		harness.Entry("a valid seal with bytes appended", tampered{make: func(v string) string { return strings.Repeat(v, oversize/len(v)+1)[:oversize] }, appended: true}),
	}
	for _, sh := range unsealedShapes {
		for _, enc := range unsealedEncodings {
			entries = append(entries, harness.Entry("an unsealed session, "+enc.name+" of "+sh.name, tampered{unsealed: &unsealed{shape: sh, encoding: enc}}))
		}
	}
	harness.Table("P8.1", strict, s.tamperedCookieIsAnonymous, entries...)
	harness.It("P8.2", strict, s.foreignSecretIsAnonymous)
	harness.It("P8.3", strict, s.keyRotationReseals)
	harness.It("P8.5", strict, s.logoutRevokes)
	harness.It("P8.6", strict, s.replayAfterLogout)
	harness.It("P8.7", strict, s.logoutClearsWhateverTheBackendSaid)
	harness.It("P8.8", strict, s.logoutNeedsUnsafeMethod)
	harness.It("P8.9", strict, s.sessionResponsesNotShared)
	s.outputSpec(strict) // P8.10
}

// P8.1
func (s *suite) tamperedCookieIsAnonymous(t tampered) {
	if t.unsealed != nil {
		s.unsealedSessionIsAnonymous(*t.unsealed)
		return
	}
	login := s.newSession().login()
	src := s.sessionOf(login)
	cookie := tamperSet(src, t.make)
	Expect(cookie).NotTo(Equal(src))
	switch {
	case t.appended:
		s.expectAnonymousOrItsOwn(cookie, login, fmt.Sprintf("a valid session cookie with %d bytes appended (%d in all)", setValueLen(cookie)-setValueLen(src), setValueLen(cookie)),
			"the target reads the cookie up to the end of its seal and ignores the rest, as stock iron-session does")
	case t.lastFlipped:
		s.expectAnonymousOrItsOwn(cookie, login, "a session cookie with its last character flipped",
			"the target does not hold that character to the seal: a version suffix, which stock iron-session reads leniently (\"~2\")")
	default:
		s.expectAnonymous(cookie)
	}
}

// expectAnonymousOrItsOwn presents a valid cookie changed outside what its
// seal may protect (what says how, why says what opening it means): an
// anonymous session passes; one that opens to exactly the session of the
// valid cookie, the login's tokens and nothing else, is measured; anything
// else fails, a 5xx included.
func (s *suite) expectAnonymousOrItsOwn(cookie string, login loginResult, what, why string) {
	GinkgoHelper()
	ss := s.newSession()
	ss.setCookie(cookie)
	mark := s.mark()
	api := ss.api()
	es := s.journal(mark)
	Expect(api.Status).To(BeNumerically("<", 500), "the cookie must never cause a 5xx; %s", api)
	loginPath := s.profile().Proxy.LoginPage.Path
	if api.Status == http.StatusUnauthorized || api.isLoginRedirect(loginPath) {
		Expect(withToken(es)).To(BeEmpty(), "an anonymous session must not reach the backend with a token; the backend saw:\n%s", s.journalText(es))
		return
	}
	Expect(api.Status).To(Equal(http.StatusOK), "the api route should answer 401 (or redirect to %s), or open the valid cookie's own session; %s", loginPath, api)
	for _, e := range withToken(es) {
		Expect(e.Family == login.Family).To(BeTrue(),
			"%s may open only the session its seal holds (family %s), but a backend call presented family %s; the backend saw:\n%s",
			what, login.Family, e.Family, s.journalText(es))
	}
	harness.Measured("%s opened to exactly its own session (200, family %s): %s", what, login.Family, why)
}

// P8.2. A target whose cookie depends on no secret, or a server-side
// session that does not survive a restart, cannot show it: the scenario is
// skipped with that reason, never passed. The session sealed under the
// target's own secret is presented again after the restarts: the proof
// that the foreign cookie would have been opened had it been good.
func (s *suite) foreignSecretIsAnonymous() {
	s.skipWithoutSecret()
	s.skipWithoutRestart()
	orig := s.cfg.Target.Env()["SESSION_SECRET"]
	own := s.sessionOf(s.newSession().login())
	err := s.restart("SESSION_SECRET=<a foreign secret>", map[string]string{"SESSION_SECRET": randomHex(24)})
	if errors.Is(err, target.ErrNotRestartable) {
		Skip("needs to restart the target with another SESSION_SECRET: " + err.Error())
	}
	Expect(err).NotTo(HaveOccurred())
	restored := false
	DeferCleanup(func() {
		if !restored {
			Expect(s.restart("its own SESSION_SECRET again", map[string]string{"SESSION_SECRET": orig})).To(Succeed(), "restoring the target's SESSION_SECRET")
		}
	})
	foreign := s.sessionOf(s.newSession().login())
	Expect(s.restart("its own SESSION_SECRET again", map[string]string{"SESSION_SECRET": orig})).To(Succeed(), "restarting the target with its own SESSION_SECRET")
	restored = true
	s.needSurvivingSessions(own, "a cookie sealed with another secret being refused would prove nothing")
	s.expectAnonymous(foreign)
}

// P8.3. What is observed is said: the old cookie refused with new,old (no
// key rotation, or the session lost across the restart: a restart with old
// alone tells which), no reseal, or a reseal that new alone does not open.
func (s *suite) keyRotationReseals() {
	s.skipWithoutSecret()
	s.skipWithoutRestart()
	if s.survives != nil && !*s.survives && s.profile().Proxy.Session == profile.SessionServer {
		Skip(lostSessions)
	}
	orig := s.cfg.Target.Env()["SESSION_SECRET"]
	oldKey, newKey := randomHex(24), randomHex(24)
	err := s.restart("SESSION_SECRET=old", map[string]string{"SESSION_SECRET": oldKey})
	if errors.Is(err, target.ErrNotRestartable) {
		Skip("needs to restart the target with other SESSION_SECRETs: " + err.Error())
	}
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		Expect(s.restart("its own SESSION_SECRET again", map[string]string{"SESSION_SECRET": orig})).To(Succeed(), "restoring the target's SESSION_SECRET")
	})
	sealedOld := s.sessionOf(s.newSession().login())

	Expect(s.restart("SESSION_SECRET=new,old", map[string]string{"SESSION_SECRET": newKey + "," + oldKey})).To(Succeed())
	withOld := s.newSession()
	withOld.setCookie(sealedOld)
	resp := withOld.api()
	if resp.Status != http.StatusOK {
		By("the cookie sealed under old was refused: does it open with SESSION_SECRET=old alone?")
		Expect(s.restart("SESSION_SECRET=old again", map[string]string{"SESSION_SECRET": oldKey})).To(Succeed())
		s.needSurvivingSessions(sealedOld, "key rotation cannot be shown")
		Expect(resp.Status).To(Equal(http.StatusOK), "no key rotation: a cookie sealed under old opens with SESSION_SECRET=old, but with SESSION_SECRET=new,old it got %s", resp)
	}
	// A reseal may set the signature alone: koa-session's id stays, and the
	// cookies module signs it again under new in its companion NAME.sig.
	// What the set becomes is judged below, under new alone.
	Expect(s.setsSessionPart(resp)).To(BeTrue(), "no reseal: with SESSION_SECRET=new,old a cookie sealed under old still works, but the response sets no new cookie, so it stops working once old is retired; it set %s",
		describeCookies(resp.Cookies))
	resealedSet := s.sessionAfter(sealedOld, resp)
	Expect(resealedSet).NotTo(Equal(sealedOld), "no reseal: the response sets the cookie sealed under old again, unchanged")

	Expect(s.restart("SESSION_SECRET=new", map[string]string{"SESSION_SECRET": newKey})).To(Succeed())
	resealed := s.newSession()
	resealed.setCookie(resealedSet)
	resp = resealed.api()
	Expect(resp.Status).To(Equal(http.StatusOK), "the resealed cookie should work with SESSION_SECRET=new alone, but it does not: it was not resealed under new; %s", resp)
}

// lostSessions is the reason P8.2 and P8.3 skip for a server-side session
// that does not survive a restart.
const lostSessions = "a session does not survive a restart of the target with the same settings (a server-side session in an in-memory store: proxy.session: server), so what a change of SESSION_SECRET does to it cannot be shown"

// skipWithoutSecret skips a scenario that changes SESSION_SECRET for a
// target whose cookie depends on none.
func (s *suite) skipWithoutSecret() {
	if s.profile().Target.SessionSecretless() {
		Skip("the target's cookie depends on no SESSION_SECRET (target.env_names.session_secret: none), so there is no secret to change")
	}
}

// skipWithoutRestart skips a scenario that restarts the target when the
// suite did not start it (it knows none of its settings), before it logs
// in for nothing.
func (s *suite) skipWithoutRestart() {
	if s.cfg.Target.Env() == nil {
		Skip("needs to restart the target with other SESSION_SECRETs: " + target.ErrNotRestartable.Error())
	}
}

// needSurvivingSessions presents cookie, a session made before the last
// restart, whose settings were the same: when it no longer opens, a
// server-side session is skipped (its store did not survive the restart)
// and a sealed cookie fails, since it holds everything it needs and does
// not depend on the process. why says what cannot be shown.
func (s *suite) needSurvivingSessions(cookie, why string) {
	GinkgoHelper()
	ss := s.newSession()
	ss.setCookie(cookie)
	resp := ss.api()
	survives := resp.Status == http.StatusOK
	s.survives = &survives
	if survives {
		return
	}
	if s.profile().Proxy.Session == profile.SessionServer {
		Skip(lostSessions)
	}
	if hint := s.companionHint(); hint != "" {
		Expect(survives).To(BeTrue(), "a sealed session (%s) does not open again after a restart of the target with the same SESSION_SECRET (%s), so %s%s; "+
			"else the target seals with a key of its own, not with SESSION_SECRET (is the variable it reads target.env_names.session_secret?)", setNames(cookie), resp, why, hint)
	}
	Expect(survives).To(BeTrue(), "a sealed session cookie does not survive a restart of the target with the same SESSION_SECRET (%s), so %s: the target seals with a key of its own, not with SESSION_SECRET "+
		"(is the variable it reads target.env_names.session_secret? a cookie that holds a session id is proxy.session: server)", resp, why)
}

// P8.5: the session logs out after a rotation, so that its current refresh
// token is not the one the login issued: a target that keeps the login's
// tokens, or sends the access token, presents a token that revokes nothing
// (the backend answers 200 all the same, as real ones do).
func (s *suite) logoutRevokes() {
	ss := s.newSession()
	login := ss.login()
	s.expire(login.Family)
	mark := s.mark()
	Expect(ss.api().Status).To(Equal(http.StatusOK), "the request that rotates the session's tokens before the logout should succeed")
	refreshes := onRoutes(s.journal(mark), control.RouteRefresh)
	Expect(refreshes).NotTo(BeEmpty(), "the expired session should have refreshed")
	_, current := issuedTokens(refreshes[len(refreshes)-1])

	mark = s.mark()
	resp := ss.logout()
	Expect(resp.Status).To(BeNumerically("<", 400), "logout should succeed; %s", resp)
	s.expectCleared(ss, resp)
	es := s.journal(mark)
	logouts := onRoutes(es, control.RouteLogout)
	Expect(logouts).NotTo(BeEmpty(), "the backend should see POST /auth/logout; it saw:\n%s", s.journalText(es))
	presented := false
	for _, e := range logouts {
		presented = presented || e.Token == current
	}
	Expect(presented).To(BeTrue(),
		"the logout should present the session's current refresh token %s (rotated from the login's %s); it presented %s; the backend saw:\n%s",
		control.Fingerprint(current), control.Fingerprint(login.Refresh), presentedTokens(logouts), s.journalText(es))
	tokens, err := s.backend().Tokens(s.ctx)
	Expect(err).NotTo(HaveOccurred())
	for _, t := range tokens {
		if t.Family == login.Family && t.Kind == control.Refresh {
			Expect(t.State).NotTo(Equal(control.StateActive), "after logout the family's refresh token %s must no longer work", control.Fingerprint(t.Value))
		}
	}
}

// presentedTokens describes the tokens entries presented, for messages:
// "a1b2c3d4 (access), ...".
func presentedTokens(es []control.Entry) string {
	var out []string
	for _, e := range es {
		switch {
		case e.Token == "":
			out = append(out, "no token")
		case e.Family == "":
			out = append(out, control.Fingerprint(e.Token)+" (unknown to the backend)")
		default:
			out = append(out, fmt.Sprintf("%s (%s, generation %d)", control.Fingerprint(e.Token), e.TokenKind, e.Generation))
		}
	}
	return strings.Join(out, ", ")
}

// P8.6
func (s *suite) replayAfterLogout() {
	ss := s.newSession()
	ss.login()
	captured := ss.cookie()
	Expect(ss.logout().Status).To(BeNumerically("<", 400))
	replay := s.newSession()
	replay.setCookie(captured)
	mark := s.mark()
	resp := replay.api()
	es := s.journal(mark)
	harness.Measured("a cookie captured before logout and replayed got %d; backend calls presenting a token from it: %d (the backend's revocation is what protects)",
		resp.Status, len(withToken(es)))
}

// expectAnonymous presents cookie in a new session and checks that the
// target treats it as no session: the api route and the page each answer
// 401 or redirect to the login page (the catalogue allows either), never a
// 5xx and never 200, and no backend call carries a token.
func (s *suite) expectAnonymous(cookie string) {
	GinkgoHelper()
	ss := s.newSession()
	ss.setCookie(cookie)
	mark := s.mark()
	api := ss.api()
	page := ss.page()
	es := s.journal(mark)
	Expect(api.Status).To(BeNumerically("<", 500), "the cookie must be an anonymous session, never a 5xx; %s", api)
	Expect(page.Status).To(BeNumerically("<", 500), "the cookie must be an anonymous session, never a 5xx; %s", page)
	loginPath := s.profile().Proxy.LoginPage.Path
	Expect(api.Status == http.StatusUnauthorized || api.isLoginRedirect(loginPath)).To(BeTrue(),
		"the api route should answer 401 (or redirect to %s) to an anonymous session; %s", loginPath, api)
	Expect(page.isLoginRedirect(loginPath) || page.Status == http.StatusUnauthorized).To(BeTrue(),
		"the page should redirect to %s (or answer 401) for an anonymous session; %s", loginPath, page)
	Expect(withToken(es)).To(BeEmpty(), "no backend call may carry anything from the cookie; the backend saw:\n%s", s.journalText(es))
}

// base64Alphabets are the characters of both base64 alphabets.
const base64Alphabets = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"

// flipAt returns a change that flips one character of a value: its first
// (where 0), the one in its middle (1) or its last (2).
func flipAt(where int) func(string) string {
	return func(v string) string {
		switch where {
		case 0:
			return flipByte(v, 0)
		case 1:
			return flipByte(v, len(v)/2)
		}
		return flipByte(v, len(v)-1)
	}
}

// flipByte changes the character at i of v. A base64 character becomes
// the one whose 6 bits differ in the highest, so that what the value
// decodes to changes even in its last character, whose low bits may be
// padding a decoder ignores; it stays in the value's alphabet. Any other
// character (a separator, padding) becomes 'A'.
func flipByte(v string, i int) string {
	b := []byte(v)
	c := b[i]
	k := strings.IndexByte(base64Alphabets, c)
	if k < 0 {
		b[i] = 'A'
		return string(b)
	}
	if k >= 64 { // '-' and '_' are 62 and 63 of the URL alphabet
		k -= 2
	}
	k ^= 32
	switch {
	case k < 62:
		b[i] = base64Alphabets[k]
	case strings.ContainsAny(v, "-_"):
		b[i] = base64Alphabets[k+2]
	default:
		b[i] = base64Alphabets[k]
	}
	return string(b)
}

// randomBase64URL is n random characters of the base64url alphabet: junk
// that looks like a seal and is none.
func randomBase64URL(n int) string {
	b := make([]byte, n*3/4+3)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// randomHex is 2n random hex characters: secrets and garbage.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
