package backendsuite

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/internal/harness"
)

// B2.11 to B2.13: INFO scenarios, measured and reported: what reuse of the
// previous refresh token meets, how long an old access token keeps working,
// and the tokens' lifetimes against the seed's advice.

// B2.11
func (c *client) measureImmediateReuse() {
	t0 := c.mustLogin()
	t1 := c.mustRefresh(t0.Refresh, "refresh with the login's refresh token")
	start := time.Now()
	a := c.mustAnswer(c.refresh(t0.Refresh, "the previous refresh token again, at once"))
	after := time.Since(start)
	Expect(a.Status).To(BeNumerically("<", 500), "reuse of the previous refresh token gave a server error; %s", a)
	var outcome string
	switch {
	case a.Status == http.StatusOK:
		again, err := c.tokens(a)
		Expect(err).NotTo(HaveOccurred(), "the reuse answered 200")
		if again.Refresh == t1.Refresh {
			outcome = "same successor back (a reuse grace window)"
		} else {
			outcome = "accepted again with a second successor (no reuse detection)"
		}
	case rejected(a):
		r := c.mustAnswer(c.refresh(t1.Refresh, "the successor after the reuse"))
		if r.Status == http.StatusOK {
			outcome = fmt.Sprintf("refused with %d, the family kept (the successor still works)", a.Status)
		} else {
			outcome = fmt.Sprintf("refused with %d and the family revoked (the successor answered %d)", a.Status, r.Status)
		}
	default:
		outcome = fmt.Sprintf("answered %d", a.Status)
	}
	harness.Measured("immediate reuse of the previous refresh token (%d ms after the first refresh): %s",
		after.Milliseconds(), outcome)
	if after > time.Second {
		harness.Measured("the reuse came more than 1 s after the first refresh; a grace window shorter than that would not show")
	}
}

// B2.12
func (c *client) measureOldAccessToken() {
	t0 := c.mustLogin()
	c.mustRefresh(t0.Refresh, "refresh with the login's refresh token")
	a := c.mustAnswer(c.me(t0.Access, "the protected resource with the access token from before the refresh"))
	switch a.Status {
	case http.StatusOK:
		harness.Measured("the old access token is still accepted right after the refresh")
	case http.StatusUnauthorized:
		harness.Measured("the old access token is refused as soon as the refresh returned its successor")
		return
	default:
		Expect(a.Status).To(BeElementOf(http.StatusOK, http.StatusUnauthorized),
			"the old access token after a refresh: want 200 or 401; %s", a)
	}
	expired := c.meAfterExpiry(t0.Access, "the protected resource with the old access token after its expiry")
	if expired == nil {
		Skip("measured that the old access token works right after the refresh; whether it stops at its expiry was not measured: " + noWayToExpire)
	}
	if expired.Status == http.StatusOK {
		harness.Measured("the old access token is still accepted after its expiry")
	} else {
		harness.Measured("the old access token works until its expiry, then is refused with %d", expired.Status)
	}
	Expect(expired.Status).NotTo(Equal(http.StatusOK), "an expired access token must not be accepted; %s", expired)
}

// B2.13
func (c *client) measureLifetimes() {
	cred := c.prof.Credentials
	a := c.mustAnswer(c.login(cred.Email, cred.Password, "login with the profile's credentials"))
	Expect(a.Status).To(Equal(http.StatusOK), "login: want 200; %s", a)
	t, err := c.loginTokens(a)
	Expect(err).NotTo(HaveOccurred(), "login")

	const minAccess, maxAccess = 15 * time.Minute, 30 * time.Minute
	const minRefresh, maxRefresh = 7 * 24 * time.Hour, 30 * 24 * time.Hour
	var problems problemList
	if t.HasExpiresIn {
		life := time.Duration(t.ExpiresIn * float64(time.Second))
		harness.Measured("access token expires_in %s (seed's advice: 15 to 30 minutes)", life)
		if life < minAccess || life > maxAccess {
			problems.add("the access token lives %s, outside 15 to 30 minutes", life)
		}
	} else {
		harness.Measured("the login answer gives no expires_in at %q", c.mapping().Paths.ExpiresIn)
	}

	refreshLife, source := c.refreshLifetime(a, t)
	if source == "" {
		harness.Measured("the backend does not reveal the refresh token's lifetime")
	} else {
		harness.Measured("refresh token lifetime %s, from %s (seed's advice: 7 to 30 days)", refreshLife, source)
		if refreshLife < minRefresh || refreshLife > maxRefresh {
			problems.add("the refresh token lives %s, outside 7 to 30 days", refreshLife)
		}
	}
	// A lifetime outside the advice is what B2.13 measures, not a failure:
	// an INFO reports it.
	if len(problems) > 0 {
		harness.Measured("token lifetimes differ from the seed's advice: %s", strings.Join(problems, "; "))
	}
}

// refreshLifetime finds the refresh token's lifetime where the backend
// reveals it: a fake backend's control API, or a refresh_expires_in beside
// the refresh token in the answer (Keycloak's name, and a common one).
func (c *client) refreshLifetime(a *answer, t dialect.Tokens) (time.Duration, string) {
	if c.control != nil {
		tok, err := c.familyOf(t.Refresh)
		Expect(err).NotTo(HaveOccurred(), "reading the refresh token's lifetime from the control API")
		return tok.ExpiresAt.Sub(tok.IssuedAt), "the fake backend's control API"
	}
	paths := []string{c.mapping().Paths.RefreshToken, dialect.Default().Paths.RefreshToken}
	for _, p := range paths {
		for _, key := range []string{"refresh_expires_in", "refresh_token_expires_in"} {
			field := dialect.Sibling(p, key)
			if v, ok := a.lookup(field); ok {
				if n, isNum := v.(float64); isNum {
					return time.Duration(n * float64(time.Second)), field + " in the login answer"
				}
			}
		}
	}
	return 0, ""
}
