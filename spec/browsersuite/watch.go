package browsersuite

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/internal/leak"
	"github.com/refreshspec/refreshspec/internal/sessioncookie"
)

// After every W spec the suite looks at everything the tab loaded, as the
// proxy suite does after every P spec: an issued token in any header or
// body is P8.4's failure ("in the browser group, in any response the page
// loaded"), and a Set-Cookie of the session without its attributes is
// P1.2's. Both fail the spec during which they were seen, naming the
// scenario they belong to (harness.FailFor).

// checkTraffic runs both checks over what the tab loaded.
func (s *session) checkTraffic() {
	if s.traffic == nil {
		return // the tab never opened
	}
	responses, cookies := s.traffic.recorded()
	strict := s.cfg.strict()
	if found := s.leaks(responses); len(found) > 0 {
		harness.FailFor("P8.4", strict, fmt.Sprintf("%s\nan issued token reached the browser during this spec:\n  %s",
			catalogue.MustLookup("P8.4").Requirement, strings.Join(found, "\n  ")))
	}
	if problems := s.cookieProblems(cookies); len(problems) > 0 {
		harness.FailFor("P1.2", strict, "every Set-Cookie that carries the session, each cookie of its set, must be HttpOnly, Path=/, SameSite=Lax or Strict (and Secure with COOKIE_SECURE on), "+
			"with what its name's prefix owes (__Secure-: Secure; __Host-: Secure, Path=/, no Domain); the browser got:\n  "+
			strings.Join(problems, "\n  "))
	}
}

// leaks scans what the tab loaded for every token the backend issued.
func (s *session) leaks(responses []leak.Response) []string {
	backend := s.cfg.Proxy.Control
	if backend == nil || len(responses) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	issued, err := backend.Tokens(ctx)
	if err != nil {
		return []string{fmt.Sprintf("the scan could not run: reading the issued tokens from the fake backend: %v", err)}
	}
	return leak.Scan(tokenMap(issued), responses)
}

// cookieProblems judges the Set-Cookies of the session the tab got.
func (s *session) cookieProblems(cookies []setCookie) []string {
	secure := sessioncookie.Secure(s.cfg.Proxy.Target.Env()) || strings.HasPrefix(s.base, "https://")
	var out []string
	for _, c := range lastWins(cookies) {
		if !s.isSessionCookie(c.cookie.Name) || c.cookie.Value == "" || c.cookie.MaxAge < 0 ||
			(!c.cookie.Expires.IsZero() && c.cookie.Expires.Before(time.Now())) {
			continue // no session: a clearing Set-Cookie
		}
		if missing := sessioncookie.Problems(c.cookie, secure); len(missing) > 0 {
			out = append(out, fmt.Sprintf("%s: Set-Cookie %s wants %s", c.where, c.cookie.Name, strings.Join(missing, ", ")))
		}
	}
	return out
}

func tokenMap(tokens []control.Token) map[string]control.Token {
	m := make(map[string]control.Token, len(tokens))
	for _, t := range tokens {
		m[t.Value] = t
	}
	return m
}

// isSessionCookie reports whether a cookie belongs to the session's set:
// its base name (prefix and companion suffix off) is that of a session
// cookie the login set, or matches the profile's proxy.cookie_name.
func (s *session) isSessionCookie(name string) bool {
	return sessioncookie.Matches(s.sessionNames, name)
}

// lastWins keeps, of the Set-Cookies recorded, the last of each cookie
// within one response (its where), as the browser applies them
// (sessioncookie.LastWins).
func lastWins(cookies []setCookie) []setCookie {
	var out []setCookie
	for i := 0; i < len(cookies); {
		j := i
		for j < len(cookies) && cookies[j].where == cookies[i].where && cookies[j].response == cookies[i].response {
			j++
		}
		group := make([]*http.Cookie, 0, j-i)
		for _, c := range cookies[i:j] {
			group = append(group, c.cookie)
		}
		kept, _ := sessioncookie.LastWins(group)
		for _, c := range kept {
			out = append(out, setCookie{where: cookies[i].where, response: cookies[i].response, cookie: c})
		}
		i = j
	}
	return out
}
