package backendsuite

import (
	"context"
	"fmt"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/dialect"
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
		fmt.Fprintf(GinkgoWriter, "waiting up to %s for the access token to expire (profile short_access_ttl %s)\n", bound, ttl)
		return c.pollUntil(bound, 25, func() (*answer, error) { return c.me(access, what) },
			func(a *answer) bool { return a.Status != http.StatusOK }, what+": still accepted",
			fmt.Sprintf("the access token was still accepted %s after it was issued, beyond the profile's short_access_ttl of %s", bound, ttl))
	default:
		return nil
	}
}

// maxLeewayWait is the longest reuse leeway the suite waits out on a backend
// whose clock it cannot move: a leeway of seconds (a test realm's) is worth
// waiting for, Auth0's default of minutes is not.
const maxLeewayWait = 10 * time.Second

// leeway is the reuse leeway the mapping declares (backend.reuse_leeway):
// inside it a used refresh token may be exchanged again.
// With a backend.rotation, it is the rotation's grace period (none when
// that is unlimited: a used token that always works is B2.3's failure).
func (c *client) leeway() time.Duration {
	if c.mapping().Rotation != nil {
		if g := c.mapping().Rules().GracePeriod; g != dialect.Unlimited {
			return g.Std()
		}
		return 0
	}
	return c.mapping().ReuseLeeway.Std()
}

// skipUnlessLeewayCanPass skips the rest of a spec, saying what it could not
// check, when the suite has no way to let the declared leeway pass: no fake
// backend's clock to move, and a leeway longer than maxLeewayWait.
func (c *client) skipUnlessLeewayCanPass(unchecked string) {
	if c.control != nil || c.leeway() <= maxLeewayWait {
		return
	}
	Skip(fmt.Sprintf("%s was not checked: the profile declares a reuse leeway (backend.reuse_leeway) of %s, and the suite "+
		"waits out at most %s on a backend whose clock it cannot move; shorten the leeway for the test client, or give "+
		"the suite a fake backend's control API", unchecked, c.leeway(), maxLeewayWait))
}

// usedAfterLeeway presents a used refresh token once the declared reuse
// leeway has passed and returns the answer. With a fake backend its clock is
// moved past the leeway and the token presented once; a real backend's
// leeway is waited out by presenting the token at intervals until it is
// refused (any successor inside the leeway is a right answer), failing the
// spec when it is still accepted after the leeway and a margin.
func (c *client) usedAfterLeeway(token, what string) *answer {
	leeway := c.leeway()
	if c.control != nil {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		defer cancel()
		_, err := c.control.AdvanceClock(ctx, leeway+time.Second)
		ExpectWithOffset(1, err).NotTo(HaveOccurred(), "moving the fake backend's clock past the reuse leeway")
		fmt.Fprintf(GinkgoWriter, "moved the fake backend's clock %s, past the reuse leeway of %s\n", leeway+time.Second, leeway)
		return c.mustAnswer(c.refresh(token, what))
	}
	bound := leeway + 2*time.Second
	fmt.Fprintf(GinkgoWriter, "presenting the used refresh token for up to %s, until the reuse leeway of %s has passed\n", bound, leeway)
	return c.pollUntil(bound, 10, func() (*answer, error) { return c.refresh(token, what) }, rejected, what+": not refused yet",
		fmt.Sprintf("the used refresh token was still accepted %s after its first use, beyond the declared reuse leeway of %s", bound, leeway))
}

// pollUntil sends a request at intervals until done says its answer is the
// awaited one, and returns that answer: time passing on a backend whose
// clock the suite cannot move. The interval spreads about polls requests
// over bound (a quarter second at least), so a long wait does not turn into
// a flood; the spec fails with failure when bound passes first.
func (c *client) pollUntil(bound time.Duration, polls int, send func() (*answer, error), done func(*answer) bool, notYet, failure string) *answer {
	var last *answer
	EventuallyWithOffset(2, func(g Gomega) {
		a, err := send()
		g.Expect(err).NotTo(HaveOccurred())
		last = a
		g.Expect(done(a)).To(BeTrue(), notYet)
	}).WithTimeout(bound).WithPolling(max(bound/time.Duration(polls), 250*time.Millisecond)).Should(Succeed(), failure)
	c.skipIfRateLimited(last)
	return last
}
