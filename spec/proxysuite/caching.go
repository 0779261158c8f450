package proxysuite

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/internal/sessioncookie"
)

// P8.9 holds for every response that sets the session cookie or carries
// the user's data, over the whole run: the login's answer, the page with
// the first name, the api route's, a refresh's. After every spec the suite
// looks at those the client got, as P1.2 looks at every Set-Cookie of the
// session. The text has a MUST part (nothing a shared cache may store: no
// public, no s-maxage, no max-age without private or no-store) and a
// SHOULD part (each says private or no-store); the scenario is listed as
// MUST, and its SHOULD part fails the run only with --strict
// (harness.FailPart, docs/decisions.md).

// cachingScenario is P8.9, whose check runs after every spec too.
const cachingScenario = "P8.9"

// cacheable is one response of the spec that P8.9 covers, and why.
type cacheable struct {
	where, why   string
	cacheControl []string
	directives   map[string]bool
}

// cacheableResponses are the responses the client got during this spec
// that set the session cookie (with a value) or whose body carries the
// user's first name.
func (s *suite) cacheableResponses() []cacheable {
	patterns := s.sessionPatterns()
	firstName := []byte(s.profile().Credentials.FirstName)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []cacheable
	for _, r := range s.responses {
		var why []string
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			if sessioncookie.Matches(patterns, c.Name) && c.Value != "" && !isClearing(c) {
				why = append(why, "sets the session cookie")
				break
			}
		}
		if len(firstName) > 0 && bytes.Contains(r.Body, firstName) {
			why = append(why, "carries the user's first name")
		}
		if len(why) == 0 {
			continue
		}
		cc := r.Header.Values("Cache-Control")
		out = append(out, cacheable{where: r.Where, why: strings.Join(why, " and "), cacheControl: cc, directives: cacheDirectives(cc)})
	}
	return out
}

// cacheDirectives are the directive names of Cache-Control header values,
// in lower case: "public, max-age=300" has public and max-age.
func cacheDirectives(values []string) map[string]bool {
	d := map[string]bool{}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(part, "=")
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				d[name] = true
			}
		}
	}
	return d
}

// sharedCacheable says why a shared cache may store a response with these
// directives ("" when it may not): public, s-maxage, or max-age without
// private or no-store.
func sharedCacheable(d map[string]bool) string {
	var why []string
	if d["public"] {
		why = append(why, "public")
	}
	if d["s-maxage"] {
		why = append(why, "s-maxage")
	}
	if d["max-age"] && !d["private"] && !d["no-store"] {
		why = append(why, "max-age without private or no-store")
	}
	return strings.Join(why, ", ")
}

func (c cacheable) String() string {
	cc := "no Cache-Control"
	if len(c.cacheControl) > 0 {
		cc = fmt.Sprintf("Cache-Control %q", strings.Join(c.cacheControl, ", "))
	}
	return fmt.Sprintf("%s (%s): %s", c.where, c.why, cc)
}

// cachingProblems are P8.9's findings in this spec: the responses a shared
// cache may store (its MUST part), those that say neither private nor
// no-store (its SHOULD part), and how many responses it looked at.
func (s *suite) cachingProblems() (must, should []string, checked int) {
	all := s.cacheableResponses()
	for _, c := range all {
		if why := sharedCacheable(c.directives); why != "" {
			must = append(must, fmt.Sprintf("%s: %s", c, why))
		}
		if !c.directives["private"] && !c.directives["no-store"] {
			should = append(should, c.String())
		}
	}
	return must, should, len(all)
}

// checkCaching reports P8.9's findings of this spec: its MUST part fails
// the spec, naming P8.9; its SHOULD part only with --strict.
func (s *suite) checkCaching() {
	must, should, _ := s.cachingProblems()
	if len(must) > 0 {
		harness.FailPart(cachingScenario, catalogue.Must, s.cfg.Strict,
			"no response that sets the session cookie or carries the user's data may be storable by a shared cache (public, s-maxage, or max-age without private or no-store), but during this spec:\n  "+
				strings.Join(must, "\n  "))
	}
	if len(should) > 0 {
		harness.FailPart(cachingScenario, catalogue.Should, s.cfg.Strict,
			"a response that sets the session cookie or carries the user's data should say Cache-Control private or no-store, but during this spec:\n  "+
				strings.Join(should, "\n  "))
	}
}

// P8.9's own spec: one session through every response the text names (the
// login, the page and the api route with the user's data, the update
// route, a refresh on the page and on the api route), then the check.
func (s *suite) sessionResponsesNotShared() {
	ss := s.newSession()
	login := ss.login()
	ss.page()
	ss.api()
	ss.patch(`{"lastName":"Cachecheck"}`)
	s.expire(login.Family)
	ss.page()
	s.expire(login.Family)
	ss.api()
	_, _, checked := s.cachingProblems()
	Expect(checked > 0).To(holds(), "the client got no response that sets the session cookie or carries the user's first name, so there was nothing to check")
	harness.Measured("looked at %d responses that set the session cookie or carry the user's first name", checked)
	s.checkCaching()
}
