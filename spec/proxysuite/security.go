package proxysuite

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/spec/harness"
)

// tamper turns a valid session cookie into a tampered one.
type tamper func(valid string) string

// P8: security. P8.4 (the leak scan's verdict) is registered last, apart
// (leak.go).
func (s *suite) securitySpecs(strict func() bool) {
	harness.Table("P8.1", strict, s.tamperedCookieIsAnonymous,
		harness.Entry("one byte flipped", tamper(flipByte)),
		harness.Entry("truncated", tamper(func(v string) string { return v[:len(v)/2] })),
		harness.Entry("garbage", tamper(func(string) string { return "garbage-" + randomHex(20) + "|not|sealed" })),
		harness.Entry("oversized", tamper(func(v string) string { return strings.Repeat(v, 6000/len(v)+1)[:6000] })),
	)
	harness.It("P8.2", strict, s.foreignSecretIsAnonymous)
	harness.It("P8.3", strict, s.keyRotationReseals)
	harness.It("P8.5", strict, s.logoutRevokes)
	harness.It("P8.6", strict, s.replayAfterLogout)
}

// P8.1
func (s *suite) tamperedCookieIsAnonymous(t tamper) {
	src := s.sessionOf(s.newSession().login())
	tampered := t(src)
	Expect(tampered).NotTo(Equal(src))
	s.expectAnonymous(tampered)
}

// P8.2
func (s *suite) foreignSecretIsAnonymous() {
	orig := s.cfg.Target.Env()["SESSION_SECRET"]
	foreign := randomHex(24)
	err := s.restart(map[string]string{"SESSION_SECRET": foreign})
	if errors.Is(err, ErrNotRestartable) {
		Skip("needs to restart the target with another SESSION_SECRET: " + err.Error())
	}
	Expect(err).NotTo(HaveOccurred())
	restored := false
	DeferCleanup(func() {
		if !restored {
			Expect(s.restart(map[string]string{"SESSION_SECRET": orig})).To(Succeed(), "restoring the target's SESSION_SECRET")
		}
	})
	sealed := s.sessionOf(s.newSession().login())
	Expect(s.restart(map[string]string{"SESSION_SECRET": orig})).To(Succeed(), "restarting the target with its own SESSION_SECRET")
	restored = true
	s.expectAnonymous(sealed)
}

// P8.3
func (s *suite) keyRotationReseals() {
	orig := s.cfg.Target.Env()["SESSION_SECRET"]
	oldKey, newKey := randomHex(24), randomHex(24)
	err := s.restart(map[string]string{"SESSION_SECRET": oldKey})
	if errors.Is(err, ErrNotRestartable) {
		Skip("needs to restart the target with other SESSION_SECRETs: " + err.Error())
	}
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		Expect(s.restart(map[string]string{"SESSION_SECRET": orig})).To(Succeed(), "restoring the target's SESSION_SECRET")
	})
	ss := s.newSession()
	sealedOld := s.sessionOf(ss.login())

	Expect(s.restart(map[string]string{"SESSION_SECRET": newKey + "," + oldKey})).To(Succeed())
	withOld := s.newSession()
	withOld.setCookie(sealedOld)
	resp := withOld.api()
	Expect(resp.Status).To(Equal(http.StatusOK), "with SESSION_SECRET=new,old a cookie sealed under old should still work; %s", resp)
	c := resp.setsCookie(s.sessionCookieName())
	Expect(c).NotTo(BeNil(), "the response should reseal the session under the new key (a Set-Cookie); headers: %v", resp.Header)
	Expect(c.Value).NotTo(Equal(sealedOld), "the resealed cookie should differ from the one sealed under old")

	Expect(s.restart(map[string]string{"SESSION_SECRET": newKey})).To(Succeed())
	resealed := s.newSession()
	resealed.setCookie(c.Value)
	resp = resealed.api()
	Expect(resp.Status).To(Equal(http.StatusOK), "the resealed cookie should work with SESSION_SECRET=new alone; %s", resp)
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

// flipByte changes one character in the middle of v to another character
// of the same alphabet, so that the cookie still decodes but no longer
// verifies.
func flipByte(v string) string {
	b := []byte(v)
	i := len(b) / 2
	switch c := b[i]; {
	case c == 'A':
		b[i] = 'B'
	case strings.IndexByte(base64Alphabets, c) >= 0:
		b[i] = 'A'
	default:
		b[i] ^= 0x01
	}
	return string(b)
}

// randomHex is 2n random hex characters: secrets and garbage.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
