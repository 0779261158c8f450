package backendsuite

import (
	"fmt"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
)

// B2.1 to B2.4: a refresh rotates both tokens, its access token works, and
// the refresh token it consumed is refused afterwards (after the reuse
// leeway the mapping declares, if any); reusing an old one revokes the
// whole family.

// B2.1
func (c *client) checkRefreshRotates() {
	t0 := c.mustLogin()
	t1 := c.mustRefresh(t0.Refresh, "refresh with the login's refresh token")
	var problems problemList
	if t1.Access == t0.Access {
		problems.add("the refresh returned the same access token as the login %s", control.Fingerprint(t0.Access))
	}
	if t1.Refresh == t0.Refresh {
		problems.add("the refresh returned the same refresh token it was given %s (no rotation)", control.Fingerprint(t0.Refresh))
	}
	problems.expectNone("a refresh must return a new access token and a new refresh token")
}

// B2.2
func (c *client) checkNewAccessAccepted() {
	t0 := c.mustLogin()
	t1 := c.mustRefresh(t0.Refresh, "refresh with the login's refresh token")
	a := c.mustAnswer(c.me(t1.Access, "the protected resource with the refreshed access token"))
	Expect(a.Status).To(Equal(http.StatusOK), "the access token the refresh returned must be accepted; %s", a)
}

// B2.3
func (c *client) checkUsedRefreshRejected() {
	t0 := c.mustLogin()
	t1 := c.mustRefresh(t0.Refresh, "refresh with the login's refresh token")
	a := c.mustAnswer(c.refresh(t0.Refresh, "the refresh token just used, presented again"))
	if leeway := c.leeway(); leeway > 0 && a.Status == http.StatusOK {
		// Inside the leeway the backend declares, any successor is right.
		_, err := c.tokens(a)
		Expect(err).NotTo(HaveOccurred(), "inside the reuse leeway, the used refresh token was answered 200 without a successor")
		harness.Measured("inside the declared reuse leeway of %s the used refresh token got a successor", leeway)
		c.skipUnlessLeewayCanPass("B2.3 checked the answer inside the leeway; whether the used token is refused after it")
		a = c.usedAfterLeeway(t0.Refresh, "the refresh token used before the reuse leeway passed")
	} else if a.Status == http.StatusOK {
		if again, err := c.tokens(a); err == nil && again.Refresh == t1.Refresh && t1.Refresh != t0.Refresh {
			// The same successor again is a reuse grace window (see B2.11),
			// which covers only the immediately previous token: after one
			// more rotation, t0 is an older token and must be refused.
			fmt.Fprintln(GinkgoWriter, "the used refresh token got its successor again (a grace window); rotating once more")
			c.mustRefresh(t1.Refresh, "refresh with the successor")
			a = c.mustAnswer(c.refresh(t0.Refresh, "the refresh token used two rotations ago"))
		}
	}
	Expect(rejected(a)).To(BeTrue(), "a used refresh token must be refused with 401 or 400; %s", a)
}

// B2.4
func (c *client) checkReuseRevokesFamily() {
	t0 := c.mustLogin()
	t1 := c.mustRefresh(t0.Refresh, "first refresh")
	// Two rotations make t0 older than any reuse grace window covers.
	t2 := c.mustRefresh(t1.Refresh, "second refresh")
	var a *answer
	if c.leeway() > 0 {
		c.skipUnlessLeewayCanPass("reuse is reuse only after the declared reuse leeway; whether it revokes the family")
		a = c.usedAfterLeeway(t0.Refresh, "reuse of the refresh token used two rotations ago")
	} else {
		a = c.mustAnswer(c.refresh(t0.Refresh, "reuse of the refresh token used two rotations ago"))
	}
	Expect(rejected(a)).To(BeTrue(), "the reused refresh token must be refused; %s", a)

	m := c.mustAnswer(c.me(t2.Access, "the family's newest access token after the reuse"))
	harness.Measured("after the reuse, the family's newest access token is %s", accessFate(m))
	r := c.mustAnswer(c.refresh(t2.Refresh, "the family's newest refresh token after the reuse"))
	Expect(rejected(r)).To(BeTrue(),
		"reuse of an old refresh token must revoke its whole family: the newest refresh token still works (want 401 or 400); %s", r)
}

// accessFate says what became of an access token whose family was revoked
// (B2.4, B2.10): measured, since a self-contained (JWT) access token lives
// until it expires whatever happens to its family.
func accessFate(a *answer) string {
	switch {
	case a.Status == http.StatusOK:
		return "still accepted (it lives until it expires, as JWT access tokens do)"
	case a.Status == http.StatusUnauthorized:
		return "refused with 401 (it died with its family)"
	default:
		return fmt.Sprintf("answered %d", a.Status)
	}
}
