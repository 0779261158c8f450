package backendsuite

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/internal/harness"
)

// B2.8: invalid refresh attempts meet a rate limit that says when to try
// again. It runs only when the profile asks for it, since a burst of bad
// attempts can lock an account or a client address on a real backend.

// B2.8
func (c *client) checkRateLimit() {
	burst := c.prof.Backend.RateLimitBurst
	if burst <= 0 {
		Skip("runs only when asked: set backend.rate_limit_burst in the profile to the number " +
			"of invalid refresh attempts to send; it is off by default because it can lock an account or a client address")
	}
	var hit *answer
	var last *answer
	sent := 0
	for sent < burst && hit == nil {
		sent++
		a, err := c.refresh(randomToken("refreshspec-ratelimit-"), fmt.Sprintf("invalid refresh attempt %d of at most %d", sent, burst))
		Expect(err).NotTo(HaveOccurred())
		last = a
		if a.Status == http.StatusTooManyRequests {
			hit = a
		}
	}
	Expect(hit).NotTo(BeNil(), "%d invalid refresh attempts met no 429; the last answer: %s", burst, last)
	retry := hit.Header.Get("Retry-After")
	c.suite.rateLimitMet.Store(fmt.Sprintf("429 after %d invalid attempts, Retry-After %q", sent, retry))
	harness.Measured("refresh answered 429 after %d of at most %d invalid attempts, Retry-After %q", sent, burst, retry)
	Expect(retry).NotTo(BeEmpty(), "the 429 must say when to try again in Retry-After; %s", hit)
	Expect(validRetryAfter(retry)).To(BeTrue(), "Retry-After %q is neither seconds nor an HTTP date", retry)
}

// validRetryAfter reports whether a Retry-After value is delta-seconds or
// an HTTP-date (RFC 9110 §10.2.3).
func validRetryAfter(v string) bool {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil {
		return n >= 0
	}
	_, err := http.ParseTime(v)
	return err == nil
}
