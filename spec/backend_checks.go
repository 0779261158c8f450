package spec

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// The building blocks the B specs share. They fail the spec at hand through
// Gomega (so a SHOULD or INFO spec can turn the failure into a verdict), and
// every failure message carries what was received.

// mustAnswer fails the spec when a request got no answer at all (refused,
// reset, timed out), and skips it when the answer is the rate limit B2.8
// already ran into.
func (c *beClient) mustAnswer(a *beAnswer, err error) *beAnswer {
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	c.skipIfRateLimited(a)
	return a
}

// skipIfRateLimited skips a spec whose request met the rate limit that B2.8
// deliberately ran into earlier in this run: against a real backend the limit
// outlives B2.8, and a spec it stops has neither passed nor failed.
func (c *beClient) skipIfRateLimited(a *beAnswer) {
	if a.Status != http.StatusTooManyRequests {
		return
	}
	if met, ok := c.suite.rateLimitMet.Load().(string); ok {
		Skip(fmt.Sprintf("%s %s answered 429: the rate limit that B2.8 ran into (%s) is still in force; "+
			"run B2.8 on its own (--focus B2.8) or leave backend.rate_limit_burst at 0 to check the rest", a.Method, a.Path, met))
	}
}

// mustLogin logs in with the profile's credentials and returns the tokens.
func (c *beClient) mustLogin() beTokens {
	cred := c.prof.Credentials
	a := c.mustAnswer(c.login(cred.Email, cred.Password, "login with the profile's credentials"))
	ExpectWithOffset(1, a.Status).To(Equal(http.StatusOK), "login with the profile's credentials: want 200; %s", a)
	t, err := c.loginTokens(a)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "login with the profile's credentials")
	return t
}

// mustRefresh presents a refresh token that should work and returns the
// tokens of the answer.
func (c *beClient) mustRefresh(refresh, what string) beTokens {
	a := c.mustAnswer(c.refresh(refresh, what))
	ExpectWithOffset(1, a.Status).To(Equal(http.StatusOK), "%s: want 200; %s", what, a)
	t, err := c.tokens(a)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "%s: 200 without the tokens", what)
	return t
}

// beRejected reports whether a refresh was refused the way both dialects
// refuse a bad grant: 401 (contract.md §1) or 400 (RFC 6749 §5.2).
func beRejected(a *beAnswer) bool {
	return a.Status == http.StatusUnauthorized || a.Status == http.StatusBadRequest
}

// errorBodyProblem says what is wrong with the body of a refused refresh, or
// "" when it is the dialect's error body: success:false (contract.md §1) or
// error:"invalid_grant" (RFC 6749 §5.2).
func (c *beClient) errorBodyProblem(a *beAnswer) string {
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

// beProblems collects what a spec found wrong, so one failure lists every
// deviation of a table of cases instead of only the first.
type beProblems []string

func (p *beProblems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// expectNone fails the spec when any problem was found.
func (p beProblems) expectNone(requirement string) {
	ExpectWithOffset(1, p).To(BeEmpty(), "%s; found %d deviation(s):\n  - %s",
		requirement, len(p), strings.Join(p, "\n  - "))
}

// beSibling replaces the last key of a dotted path: the token_type beside
// data.authorization.access_token is data.authorization.token_type.
func beSibling(path, key string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i+1] + key
	}
	return key
}

// beBearerChallenge returns the parameters of the Bearer challenge in the
// WWW-Authenticate header (RFC 6750 §3), and false when there is none.
func beBearerChallenge(h http.Header) (map[string]string, bool) {
	for _, v := range h.Values("WWW-Authenticate") {
		v = strings.TrimSpace(v)
		scheme, rest, _ := strings.Cut(v, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			continue
		}
		return beAuthParams(rest), true
	}
	return nil, false
}

// beAuthParams parses `a="x, y", b=z` into a map, honouring quotes.
func beAuthParams(s string) map[string]string {
	params := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimLeft(strings.TrimSpace(s), ",") {
		s = strings.TrimSpace(s)
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		key = strings.ToLower(strings.TrimSpace(key))
		rest = strings.TrimSpace(rest)
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			var b strings.Builder
			for ; end < len(rest) && rest[end] != '"'; end++ {
				if rest[end] == '\\' && end+1 < len(rest) {
					end++
				}
				b.WriteByte(rest[end])
			}
			val, s = b.String(), rest[min(end+1, len(rest)):]
		} else {
			val, s, _ = strings.Cut(rest, ",")
			val = strings.TrimSpace(val)
		}
		params[key] = val
	}
	return params
}

// beInvalidTokenProblem says what is wrong with the answer to a rejected
// access token, or "": 401 with WWW-Authenticate: Bearer error="invalid_token".
func beInvalidTokenProblem(a *beAnswer, what string) string {
	if a.Status != http.StatusUnauthorized {
		return fmt.Sprintf("%s: want 401; %s", what, a)
	}
	params, ok := beBearerChallenge(a.Header)
	if !ok {
		return fmt.Sprintf(`%s: want WWW-Authenticate: Bearer error="invalid_token", got WWW-Authenticate %q; %s`,
			what, a.Header.Values("WWW-Authenticate"), a)
	}
	if params["error"] != "invalid_token" {
		return fmt.Sprintf(`%s: want error="invalid_token" in the Bearer challenge, got WWW-Authenticate %q`,
			what, a.Header.Values("WWW-Authenticate"))
	}
	return ""
}

// beHasNoStore reports whether Cache-Control carries the no-store directive.
func beHasNoStore(h http.Header) bool {
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(d), "no-store") {
				return true
			}
		}
	}
	return false
}

// beValidRetryAfter reports whether a Retry-After value is delta-seconds or
// an HTTP-date (RFC 9110 §10.2.3).
func beValidRetryAfter(v string) bool {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil {
		return n >= 0
	}
	_, err := http.ParseTime(v)
	return err == nil
}

// beIsJSONType reports whether a Content-Type names JSON.
func beIsJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// beNoWayToExpire is why a check that needs time to pass was not run.
const beNoWayToExpire = "this part needs an access token to expire, and the suite has no way to make that happen: " +
	"give it the fake backend's control API (BackendConfig.Control, profile backend.control_url) " +
	"or a backend that issues short-lived access tokens (profile backend.short_access_ttl)"

// meAfterExpiry makes access expire the way the user allowed (the fake
// backend's control API, or waiting up to the profile's short access TTL)
// and returns the protected resource's answer to it afterwards. It returns
// nil when there is no way to let time pass; the caller skips that part.
func (c *beClient) meAfterExpiry(access, what string) *beAnswer {
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
		var last *beAnswer
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
