package backendsuite

import (
	"net/http"
	"strings"

	. "github.com/onsi/gomega"
)

// B2.7: answers that carry tokens must not be cached.

// B2.7
func (c *client) checkNoStore() {
	cred := c.prof.Credentials
	var problems problemList
	login := c.mustAnswer(c.login(cred.Email, cred.Password, "login with the profile's credentials"))
	Expect(login.Status).To(Equal(http.StatusOK), "login: want 200; %s", login)
	if !hasNoStore(login.Header) {
		problems.add("the login answer has Cache-Control %q", login.Header.Values("Cache-Control"))
	}
	t0, err := c.loginTokens(login)
	Expect(err).NotTo(HaveOccurred(), "login")
	r := c.mustAnswer(c.refresh(t0.Refresh, "refresh with the login's refresh token"))
	Expect(r.Status).To(Equal(http.StatusOK), "refresh: want 200; %s", r)
	if !hasNoStore(r.Header) {
		problems.add("the refresh answer has Cache-Control %q", r.Header.Values("Cache-Control"))
	}
	problems.expectNone("answers that carry tokens must send Cache-Control: no-store")
}

// hasNoStore reports whether Cache-Control carries the no-store directive.
func hasNoStore(h http.Header) bool {
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(d), "no-store") {
				return true
			}
		}
	}
	return false
}
