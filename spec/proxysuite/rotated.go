package proxysuite

import (
	"fmt"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
)

// Does the client hold the rotated session? The one judgement P2.1, P2.2,
// P4.2 and P7.1 make after a refresh, by the profile's session model
// (proxy.session):
//
//   - sealed (the cookie is the session: iron-session, the reference): the
//     response sends a Set-Cookie with a new value, and the jar keeps it;
//   - server (the cookie holds a session id: express-session, Rails): the
//     cookie may stay as it was, since the new tokens went to the server's
//     store.
//
// Either way the proof is the same: the cookie the client holds, replayed
// in a fresh client, presents the new access token to the backend, and
// needs no second refresh.

// expectHoldsRotated checks that the client ss holds the rotated session
// after resp, the answer to a request that needed a refresh; before is the
// session cookie the client held before that request, newAccess the access
// token the refresh returned.
func (s *suite) expectHoldsRotated(ss *session, resp *response, before, newAccess string) {
	GinkgoHelper()
	name := s.sessionCookieName()
	if s.profile().Proxy.Session == profile.SessionSealed {
		Expect(s.setsSession(resp)).To(BeTrue(), "the response after the refresh should carry a Set-Cookie %q with the rotated session (proxy.session: sealed); it set %s",
			name, describeCookies(resp.Cookies))
		after := s.sessionAfter(before, resp)
		Expect(after != before).To(BeTrue(), "the Set-Cookie after the refresh should carry a new session, not the old cookie (proxy.session: sealed; a cookie that holds a session id is proxy.session: server)")
		Expect(ss.cookie() == after).To(BeTrue(), "the client's jar should hold the rotated session the Set-Cookies carried (%s), but it holds %s", setNames(after), setNames(ss.cookie()))
	}
	held := ss.cookie()
	Expect(held).NotTo(BeEmpty(), "after the refresh the client should still hold the session cookie %q; the response set %s", name, describeCookies(resp.Cookies))
	s.expectCarriesRotated(held, newAccess, fmt.Sprintf("the session the client holds after the refresh (cookies %s)", setNames(held)))
}

// expectResponsesCarryRotated is the judgement for several responses of one
// session that shared a refresh (P7.1's rounds): none clears the session,
// every Set-Cookie of the session among them carries the rotated session,
// and, for a server-side session, so does held, the cookie a client of the
// session holds afterwards (its id, which a rotation may keep). A sealed
// cookie must come in at least one Set-Cookie. Sealed cookies differ byte
// for byte (a fresh nonce each time), so each one is replayed. what names
// the round in messages.
func (s *suite) expectResponsesCarryRotated(what, before, held string, resps []*response, newAccess string) {
	GinkgoHelper()
	name := s.sessionCookieName()
	values := map[string]bool{}
	for _, r := range resps {
		Expect(s.clearsSession(r)).To(BeFalse(), "%s: no request may clear the session; %s set %s", what, r.Request, describeCookies(r.Cookies))
		if s.setsSession(r) {
			values[s.sessionAfter(before, r)] = true
		}
	}
	sealed := s.profile().Proxy.Session == profile.SessionSealed
	if sealed {
		Expect(values).NotTo(BeEmpty(), "%s: the responses should carry the rotated session in a Set-Cookie %q (proxy.session: sealed)", what, name)
	}
	for _, v := range sortedKeys(values) {
		s.expectCarriesRotated(v, newAccess, what+": a Set-Cookie of the responses")
	}
	if sealed {
		return
	}
	Expect(held).NotTo(BeEmpty(), "%s: after the refresh the client should still hold the session cookie %q", what, name)
	if !values[held] {
		s.expectCarriesRotated(held, newAccess, what+": the session cookie a client holds after the requests")
	}
}

// expectCarriesRotated replays a session cookie value in a fresh client and
// checks that it is the rotated session: the backend sees the new access
// token, and no refresh.
func (s *suite) expectCarriesRotated(value, newAccess, what string) {
	GinkgoHelper()
	replay := s.newSession()
	replay.setCookie(value)
	mark := s.mark()
	r := replay.api()
	es := s.journal(mark)
	me := onRoutes(es, control.RouteMe)
	Expect(me).NotTo(BeEmpty(), "%s, replayed, should reach the backend; %s", what, r)
	Expect(me[0].Token == newAccess).To(BeTrue(),
		"%s should carry the rotated session (access token %s), but replayed it presented %s; the backend saw:\n%s",
		what, control.Fingerprint(newAccess), control.Fingerprint(me[0].Token), s.journalText(es))
	Expect(onRoutes(es, control.RouteRefresh)).To(BeEmpty(), "%s, the rotated session, needs no refresh; the backend saw:\n%s", what, s.journalText(es))
	Expect(r.Status).To(Equal(http.StatusOK), "%s, replayed, should be a working session; %s", what, r)
}
