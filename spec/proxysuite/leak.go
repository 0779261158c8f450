package proxysuite

import (
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
// has something to look at when P8.4 is focused alone.
func (s *suite) noTokenInAnyResponse() {
	ss := s.newSession()
	login := ss.login()
	s.expire(login.Family)
	ss.api()
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
