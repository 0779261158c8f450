package proxysuite

import (
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/internal/leak"
)

// leakScenario is P8.4: no issued token in any response of the run. Its
// scan runs after every spec (suite.afterEach) and fails the spec during
// which a token leaked, naming P8.4; its own spec, registered last, sums up
// the run.
const leakScenario = "P8.4"

func leakRequirement() string { return catalogue.MustLookup(leakScenario).Requirement }

func (s *suite) leakSpec(strict func() bool) {
	harness.It(leakScenario, strict, s.noTokenInAnyResponse)
}

// P8.4. It also drives one session through every route, so that the scan
// has something to look at when P8.4 is focused alone, and fetches the
// session endpoints signed in, after the login and after a refresh.
func (s *suite) noTokenInAnyResponse() {
	ss := s.newSession()
	login := ss.login()
	endpoints := s.fetchSessionEndpoints(ss, "after the login")
	s.expire(login.Family)
	ss.api()
	endpoints = append(endpoints, s.fetchSessionEndpoints(ss, "after a refresh")...)
	if len(endpoints) > 0 {
		harness.Measured("scanned the session endpoints %s", strings.Join(endpoints, ", "))
	}
	ss.page()
	ss.patch(`{"lastName":"Leakcheck"}`)
	ss.logout()
	Expect(s.collectTokens(s.ctx)).To(Succeed())
	s.mu.Lock()
	found := leak.Scan(s.tokens, s.responses)
	leaks := append(append([]string(nil), s.leaks...), found...)
	s.mu.Unlock()
	Expect(leaks).To(BeEmpty(), "no token the backend issued may appear in any response the client got during the run; found these")
}

// fetchSessionEndpoints requests each session endpoint with GET in ss, for
// the scan, and says which exist ("/api/auth/session → 200 after the
// login"). A common path the profile does not list that answers 404 or
// 405 is no endpoint of the target: passed over, as a wrong answer of it
// is none of P8.4's business.
func (s *suite) fetchSessionEndpoints(ss *session, when string) []string {
	GinkgoHelper()
	paths, listed := s.profile().Proxy.SessionEndpointsOrDefault()
	var out []string
	for _, p := range paths {
		r := ss.do(http.MethodGet, p, nil, "")
		if !listed && (r.Status == http.StatusNotFound || r.Status == http.StatusMethodNotAllowed) {
			continue
		}
		out = append(out, fmt.Sprintf("%s → %d %s", p, r.Status, when))
	}
	return out
}
