package spec

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/spec/catalogue"
)

// pxTamper turns a valid session cookie into a tampered one.
type pxTamper func(valid string) string

// P8: security. P8.4 (the leak scan's verdict) is registered last, apart.
func pxSecuritySpecs(s *pxSuite, strict func() bool) {
	s81 := catalogue.MustLookup("P8.1")
	DescribeTable(s81.Name(), Label(s81.Group(), string(s81.Level)),
		func(tamper pxTamper) {
			runAtLevel(s81, strict(), func() {
				src := s.sessionOf(s.newSession().login())
				tampered := tamper(src)
				Expect(tampered).NotTo(Equal(src))
				s.expectAnonymous("P8.1", tampered)
			})
		},
		Entry("P8.1 one byte flipped", pxTamper(pxFlipByte)),
		Entry("P8.1 truncated", pxTamper(func(v string) string { return v[:len(v)/2] })),
		Entry("P8.1 garbage", pxTamper(func(string) string { return "garbage-" + pxRandomHex(20) + "|not|sealed" })),
		Entry("P8.1 oversized", pxTamper(func(v string) string { return strings.Repeat(v, 6000/len(v)+1)[:6000] })),
	)

	scenario("P8.2", strict, func() {
		orig := s.cfg.Target.Env()["SESSION_SECRET"]
		foreign := pxRandomHex(24)
		err := s.restart(map[string]string{"SESSION_SECRET": foreign})
		if errors.Is(err, ErrNotRestartable) {
			Skip("P8.2 needs to restart the target with another SESSION_SECRET: " + err.Error())
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
		s.expectAnonymous("P8.2", sealed)
	}, Offset(1))

	scenario("P8.3", strict, func() {
		orig := s.cfg.Target.Env()["SESSION_SECRET"]
		oldKey, newKey := pxRandomHex(24), pxRandomHex(24)
		err := s.restart(map[string]string{"SESSION_SECRET": oldKey})
		if errors.Is(err, ErrNotRestartable) {
			Skip("P8.3 needs to restart the target with other SESSION_SECRETs: " + err.Error())
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
		Expect(resp.Status).To(Equal(http.StatusOK), "P8.3: with SESSION_SECRET=new,old a cookie sealed under old should still work; %s", resp)
		c := resp.setsCookie(s.sessionCookieName())
		Expect(c).NotTo(BeNil(), "P8.3: the response should reseal the session under the new key (a Set-Cookie); headers: %v", resp.Header)
		Expect(c.Value).NotTo(Equal(sealedOld), "P8.3: the resealed cookie should differ from the one sealed under old")

		Expect(s.restart(map[string]string{"SESSION_SECRET": newKey})).To(Succeed())
		resealed := s.newSession()
		resealed.setCookie(c.Value)
		resp = resealed.api()
		Expect(resp.Status).To(Equal(http.StatusOK), "P8.3: the resealed cookie should work with SESSION_SECRET=new alone; %s", resp)
	}, Offset(1))

	scenario("P8.5", strict, func() {
		ss := s.newSession()
		login := ss.login()
		mark := s.mark()
		resp := ss.logout()
		Expect(resp.Status).To(BeNumerically("<", 400), "P8.5: logout should succeed; %s", resp)
		s.expectCleared("P8.5", ss, resp)
		es := s.journal(mark)
		logouts := pxOn(es, control.RouteLogout)
		Expect(logouts).NotTo(BeEmpty(), "P8.5: the backend should see POST /auth/logout; it saw:\n%s", s.journalText(es))
		Expect(logouts[0].Family).To(Equal(login.Family), "P8.5: the logout should present the session's refresh token; it saw:\n%s", s.journalText(es))
		tokens, err := s.backend().Tokens(s.ctx)
		Expect(err).NotTo(HaveOccurred())
		for _, t := range tokens {
			if t.Family == login.Family && t.Kind == control.Refresh {
				Expect(t.State).NotTo(Equal(control.StateActive), "P8.5: after logout the family's refresh token %s must no longer work", pxFingerprint(t.Value))
			}
		}
	}, Offset(1))

	scenario("P8.6", strict, func() {
		ss := s.newSession()
		ss.login()
		captured := ss.cookie()
		Expect(ss.logout().Status).To(BeNumerically("<", 400))
		replay := s.newSession()
		replay.setCookie(captured)
		mark := s.mark()
		resp := replay.api()
		es := s.journal(mark)
		Measured("P8.6: a cookie captured before logout and replayed got %d; backend calls presenting a token from it: %d (the backend's revocation is what protects)",
			resp.Status, len(pxWithToken(es)))
	}, Offset(1))
}

// sessionOf is the session cookie a login left in the jar.
func (s *pxSuite) sessionOf(l pxLogin) string {
	GinkgoHelper()
	c := l.Resp.setsCookie(s.sessionCookieName())
	Expect(c).NotTo(BeNil(), "the login response should set the session cookie")
	return c.Value
}

// expectAnonymous presents cookie in a new session and checks that the
// target treats it as no session: the api route and the page each answer
// 401 or redirect to the login page (scenarios.md allows either), never a
// 5xx and never 200, and no backend call carries a token.
func (s *pxSuite) expectAnonymous(id, cookie string) {
	GinkgoHelper()
	ss := s.newSession()
	ss.setCookie(cookie)
	mark := s.mark()
	api := ss.api()
	page := ss.page()
	es := s.journal(mark)
	Expect(api.Status).To(BeNumerically("<", 500), "%s: the cookie must be an anonymous session, never a 5xx; %s", id, api)
	Expect(page.Status).To(BeNumerically("<", 500), "%s: the cookie must be an anonymous session, never a 5xx; %s", id, page)
	loginPath := s.profile().Proxy.LoginPage.Path
	Expect(api.Status == http.StatusUnauthorized || api.isLoginRedirect(loginPath)).To(BeTrue(),
		"%s: the api route should answer 401 (or redirect to %s) to an anonymous session; %s", id, loginPath, api)
	Expect(page.isLoginRedirect(loginPath) || page.Status == http.StatusUnauthorized).To(BeTrue(),
		"%s: the page should redirect to %s (or answer 401) for an anonymous session; %s", id, loginPath, page)
	Expect(pxWithToken(es)).To(BeEmpty(), "%s: no backend call may carry anything from the cookie; the backend saw:\n%s", id, s.journalText(es))
}

// pxFlipByte changes one character in the middle of v to another character
// of the same alphabet, so that the cookie still decodes but no longer
// verifies.
func pxFlipByte(v string) string {
	b := []byte(v)
	i := len(b) / 2
	switch c := b[i]; {
	case c == 'A':
		b[i] = 'B'
	case pxIsB64(c):
		b[i] = 'A'
	default:
		b[i] ^= 0x01
	}
	return string(b)
}

// pxRandomHex is 2n random hex characters: secrets and garbage.
func pxRandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
