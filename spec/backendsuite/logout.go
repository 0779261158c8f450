package backendsuite

import (
	"net/http"

	. "github.com/onsi/gomega"
)

// B2.10: logout revokes the family of the refresh token it is given.

// B2.10
func (c *client) checkLogoutRevokes() {
	t0 := c.mustLogin()
	lo := c.mustAnswer(c.logout(t0.Refresh, "logout with the login's refresh token"))
	Expect(lo.Status/100).To(Equal(2), "logout: want 200; %s", lo)
	var problems problemList
	r := c.mustAnswer(c.refresh(t0.Refresh, "refresh with the logged-out refresh token"))
	if !rejected(r) {
		problems.add("the logged-out refresh token still works (want 401 or 400); %s", r)
	}
	m := c.mustAnswer(c.me(t0.Access, "the protected resource with the logged-out family's access token"))
	if m.Status == http.StatusOK {
		problems.add("the logged-out family's access token is still accepted; %s", m)
	}
	problems.expectNone("logout must revoke the token's family")
}
