package backendsuite

import (
	"context"
	"fmt"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// noWayToExpire is why a check that needs time to pass was not run.
const noWayToExpire = "this part needs an access token to expire, and the suite has no way to make that happen: " +

	"give it the fake backend's control API (backendsuite.Config.Control, profile backend.control_url) " +
	"or a backend that issues short-lived access tokens (profile backend.short_access_ttl)"

// meAfterExpiry makes access expire the way the user allowed (the fake
// backend's control API, or waiting up to the profile's short access TTL)
// and returns the protected resource's answer to it afterwards. It returns
// nil when there is no way to let time pass; the caller skips that part.
func (c *client) meAfterExpiry(access, what string) *answer {
	switch {
	case c.control != nil:
		tok, err := c.familyOf(access)
		ExpectWithOffset(1, err).NotTo(HaveOccurred(), "finding the access token's family to expire it")
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		defer cancel()
		_, err = c.control.Expire(ctx, tok.Family, control.Access)
		ExpectWithOffset(1, err).NotTo(HaveOccurred(), "expiring the access tokens of family %s through the control API", tok.Family)
		fmt.Fprintf(GinkgoWriter, "expired the access tokens of family %s through the control API\n", tok.Family)
		return c.mustAnswer(c.me(access, what))
	case c.prof.Backend.ShortAccessTTL > 0:
		ttl := c.prof.Backend.ShortAccessTTL.Std()
		// The bound is the TTL plus a little for clock granularity; the
		// polling interval keeps the number of requests near 25 whatever
		// the TTL, so a long TTL does not turn into a flood.
		bound := ttl + 2*time.Second
		poll := max(bound/25, 250*time.Millisecond)
		fmt.Fprintf(GinkgoWriter, "waiting up to %s for the access token to expire (profile short_access_ttl %s)\n", bound, ttl)
		var last *answer
		EventuallyWithOffset(1, func(g Gomega) {
			a, err := c.me(access, what)
			g.Expect(err).NotTo(HaveOccurred())
			last = a
			g.Expect(a.Status).NotTo(Equal(http.StatusOK), "%s: still accepted", what)
		}).WithTimeout(bound).WithPolling(poll).Should(Succeed(),
			"the access token was still accepted %s after it was issued, beyond the profile's short_access_ttl of %s", bound, ttl)
		c.skipIfRateLimited(last)
		return last
	default:
		return nil
	}
}
