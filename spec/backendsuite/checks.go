package backendsuite

import (
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/dialect"
)

// The building blocks the B specs share. They fail the spec at hand through
// Gomega (so a SHOULD or INFO spec can turn the failure into a verdict), and
// every failure message carries what was received.

// mustAnswer fails the spec when a request got no answer at all (refused,
// reset, timed out), and skips it when the answer is the rate limit B2.8
// already ran into.
func (c *client) mustAnswer(a *answer, err error) *answer {
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	c.skipIfRateLimited(a)
	return a
}

// skipIfRateLimited skips a spec whose request met the rate limit that B2.8
// deliberately ran into earlier in this run: against a real backend the limit
// outlives B2.8, and a spec it stops has neither passed nor failed.
func (c *client) skipIfRateLimited(a *answer) {
	if a.Status != http.StatusTooManyRequests {
		return
	}
	if met, ok := c.suite.rateLimitMet.Load().(string); ok {
		Skip(fmt.Sprintf("%s %s answered 429: the rate limit that B2.8 ran into (%s) is still in force; "+
			"run B2.8 on its own (--focus B2.8) or leave backend.rate_limit_burst at 0 to check the rest", a.Method, a.Path, met))
	}
}

// mustLogin logs in with the profile's credentials and returns the tokens.
func (c *client) mustLogin() dialect.Tokens {
	cred := c.prof.Credentials
	a := c.mustAnswer(c.login(cred.Email, cred.Password, "login with the profile's credentials"))
	ExpectWithOffset(1, a.Status).To(Equal(http.StatusOK), "login with the profile's credentials: want 200; %s", a)
	t, err := c.loginTokens(a)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "login with the profile's credentials")
	return t
}

// mustRefresh presents a refresh token that should work and returns the
// tokens of the answer.
func (c *client) mustRefresh(refresh, what string) dialect.Tokens {
	a := c.mustAnswer(c.refresh(refresh, what))
	ExpectWithOffset(1, a.Status).To(Equal(http.StatusOK), "%s: want 200; %s", what, a)
	t, err := c.tokens(a)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "%s: 200 without the tokens", what)
	return t
}

// rejected reports whether a refresh was refused the way both dialects
// refuse a bad grant: 401 (contract.md §1) or 400 (RFC 6749 §5.2).
func rejected(a *answer) bool {
	return a.Status == http.StatusUnauthorized || a.Status == http.StatusBadRequest
}

// problemList collects what a spec found wrong, so one failure lists every
// deviation of a table of cases instead of only the first.
type problemList []string

func (p *problemList) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// expectNone fails the spec when any problem was found.
func (p problemList) expectNone(requirement string) {
	ExpectWithOffset(1, p).To(BeEmpty(), "%s; found %d deviation(s):\n  - %s",
		requirement, len(p), strings.Join(p, "\n  - "))
}
