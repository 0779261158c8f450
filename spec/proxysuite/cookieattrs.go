package proxysuite

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/internal/sessioncookie"
)

// P1.2 holds for every Set-Cookie that carries the session, over the whole
// run: at login, after a rotation, on a reseal. A rotation written with
// `response.cookies.set(name, value)` and no options (Next.js middleware)
// loses HttpOnly and SameSite although the login's cookie had them. So the
// client records every Set-Cookie it gets, and after every spec the suite
// looks at those of the session cookie, the way the leak scan of P8.4 looks
// at every response: a bad one fails that spec, naming P1.2
// (harness.FailFor).

// cookieScenario is P1.2, whose check runs after every spec too.
const cookieScenario = "P1.2"

// seenCookie is one Set-Cookie the client got.
type seenCookie struct {
	where  string // "GET /api/me → 200"
	cookie *http.Cookie
	// secure says the Secure attribute was owed: the target ran with
	// COOKIE_SECURE on, or is served over https.
	secure bool
}

// recordSetCookies keeps the Set-Cookies of a response that give a cookie a
// value; clearing ones carry no session.
func (s *suite) recordSetCookies(r *response, secure bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range r.Cookies {
		if c.Value == "" || isClearing(c) {
			continue
		}
		s.cookiesSeen = append(s.cookiesSeen, seenCookie{where: fmt.Sprintf("%s → %d", r.Request, r.Status), cookie: c, secure: secure})
	}
}

// sessionCookieProblems looks at the Set-Cookies of the session cookie the
// client got during this spec: one line for each whose attributes P1.2
// does not allow, and how many it looked at.
func (s *suite) sessionCookieProblems() (problems []string, checked int) {
	name := s.sessionCookieName()
	s.mu.Lock()
	defer s.mu.Unlock()
	if name == "" {
		return nil, 0
	}
	for _, seen := range s.cookiesSeen {
		if seen.cookie.Name != name {
			continue
		}
		checked++
		if missing := sessioncookie.Problems(seen.cookie, seen.secure); len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("%s: Set-Cookie %s lacks %s", seen.where, describeCookie(seen.cookie), strings.Join(missing, ", ")))
		}
	}
	return problems, checked
}

// checkSessionCookies fails the running spec, naming P1.2, when a
// Set-Cookie of the session it got lacks an attribute; P1.2's own spec
// checks in its body instead.
func (s *suite) checkSessionCookies() {
	if harness.ID() == cookieScenario {
		return
	}
	problems, _ := s.sessionCookieProblems()
	if len(problems) == 0 {
		return
	}
	harness.FailFor(cookieScenario, s.cfg.Strict, "every Set-Cookie that carries the session must be HttpOnly, Path=/, SameSite=Lax or Strict (and Secure with COOKIE_SECURE on); during this spec:\n  "+
		strings.Join(problems, "\n  "))
}
