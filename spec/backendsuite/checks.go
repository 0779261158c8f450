package backendsuite

import (
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
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
func (c *client) mustLogin() tokenSet {
	cred := c.prof.Credentials
	a := c.mustAnswer(c.login(cred.Email, cred.Password, "login with the profile's credentials"))
	ExpectWithOffset(1, a.Status).To(Equal(http.StatusOK), "login with the profile's credentials: want 200; %s", a)
	t, err := c.loginTokens(a)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "login with the profile's credentials")
	return t
}

// mustRefresh presents a refresh token that should work and returns the
// tokens of the answer.
func (c *client) mustRefresh(refresh, what string) tokenSet {
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

// errorBodyProblem says what is wrong with the body of a refused refresh, or
// "" when it is the dialect's error body: success:false (contract.md §1) or
// error:"invalid_grant" (RFC 6749 §5.2).
func (c *client) errorBodyProblem(a *answer) string {
	if c.oauth2() {
		if code, _ := a.str("error"); code != "invalid_grant" {
			return fmt.Sprintf(`want an RFC 6749 §5.2 error body {"error":"invalid_grant"}; %s`, a)
		}
		return ""
	}
	if !a.isJSON() {
		return fmt.Sprintf("want a JSON body (Content-Type application/json) with success:false; %s", a)
	}
	if v, ok := a.lookup("success"); !ok || v != false {
		return fmt.Sprintf("want success:false in the body; %s", a)
	}
	return ""
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

// sibling replaces the last key of a dotted path: the token_type beside
// data.authorization.access_token is data.authorization.token_type.
func sibling(path, key string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i+1] + key
	}
	return key
}
