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
// value, the last of each where the response sets one twice (a browser
// applies them in order, so the last counts); clearing ones carry no
// session. A cookie set twice is noted for P1.2 to report.
func (s *suite) recordSetCookies(r *response, secure bool) {
	kept, dups := sessioncookie.LastWins(r.Cookies)
	where := fmt.Sprintf("%s → %d", r.Request, r.Status)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range kept {
		if c.Value == "" || isClearing(c) {
			continue
		}
		s.cookiesSeen = append(s.cookiesSeen, seenCookie{where: where, cookie: c, secure: secure})
	}
	for _, d := range dups {
		s.duplicates = append(s.duplicates, seenDuplicate{where: where, what: d})
	}
}

// seenDuplicate is a cookie one response set more than once.
type seenDuplicate struct{ where, what string }

// sessionCookieProblems looks at the Set-Cookies of the session the client
// got during this spec, every cookie of its set: one line for each whose
// attributes P1.2 does not allow (the prefix rules of its name included),
// and how many it looked at.
func (s *suite) sessionCookieProblems() (problems []string, checked int) {
	if len(s.sessionPatterns()) == 0 {
		return nil, 0
	}
	s.mu.Lock()
	seen := append([]seenCookie(nil), s.cookiesSeen...)
	s.mu.Unlock()
	for _, seen := range seen {
		if !s.isSessionCookie(seen.cookie.Name) {
			continue
		}
		checked++
		if missing := sessioncookie.Problems(seen.cookie, seen.secure); len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("%s: Set-Cookie %s wants %s", seen.where, describeCookie(seen.cookie), strings.Join(missing, ", ")))
		}
	}
	return problems, checked
}

// sessionDuplicates are the cookies of the session that one response of
// this spec set twice or more, "where: name (n times)", since the last
// call: each is reported once.
func (s *suite) sessionDuplicates() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	dups := s.duplicates
	s.duplicates = nil
	for _, d := range dups {
		name, _, _ := strings.Cut(d.what, " ")
		if s.isSessionCookie(name) {
			out = append(out, d.where+": "+d.what)
		}
	}
	return out
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
	harness.FailFor(cookieScenario, s.cfg.Strict, cookieRule+"; during this spec:\n  "+
		strings.Join(problems, "\n  "))
}

// cookieRule is P1.2 in short, for messages.
const cookieRule = "every Set-Cookie that carries the session, each cookie of its set, must be HttpOnly, Path=/, SameSite=Lax or Strict (and Secure with COOKIE_SECURE on), " +
	"with what its name's prefix owes (__Secure-: Secure; __Host-: Secure, Path=/, no Domain)"
