package backendsuite

import (
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/internal/harness"
)

// B2.10: logout (RFC 7009 revocation of the refresh token, in the oauth2
// dialect) revokes the family of the refresh token it is given; what
// becomes of the family's access token is measured.

// B2.10
func (c *client) checkLogoutRevokes() {
	t0 := c.mustLogin()
	what := "logout with the login's refresh token"
	if c.oauth2() {
		what = "RFC 7009 revocation of the login's refresh token"
	}
	lo := c.mustAnswer(c.logout(t0.Refresh, what))
	Expect(lo.Status/100).To(Equal(2), "%s: want 200; %s", what, lo)
	m := c.mustAnswer(c.me(t0.Access, "the protected resource with the logged-out family's access token"))
	harness.Measured("after the logout, the family's access token is %s", accessFate(m))
	r := c.mustAnswer(c.refresh(t0.Refresh, "refresh with the logged-out refresh token"))
	Expect(rejected(r)).To(BeTrue(), "logout must revoke the token's family: the logged-out refresh token still works (want 401 or 400); %s", r)
}
