package proxysuite

import (
	"net/http"
	"time"

	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/internal/harness"
)

// lifetimeSlack is what P1.6 forgives a cookie's lifetime beyond the time
// since login: clocks and rounding (Max-Age in whole seconds, Expires in
// whole seconds of the target's clock).
const lifetimeSlack = time.Minute

// P1.6. Every cookie of the session's set, at login and after a rotation
// on each route kind, is a browser-session cookie (no Max-Age, no
// Expires) or lives at least as long as the session can: the backend's
// refresh token lifetime, or the profile's proxy.session_lifetime when
// shorter (an app that ends its sessions sooner by design), less the time
// since login (an app may bind the cookie to the login's expiry).
func (s *suite) cookieLifetime() {
	settings, err := s.backend().Settings(s.ctx)
	Expect(err).NotTo(HaveOccurred(), "reading the backend's settings")
	want, why := settings.RefreshTTL.Std(), "the backend's refresh token lifetime"
	if d := s.profile().Proxy.SessionLifetime.Std(); d > 0 && d < want {
		want, why = d, "the profile's proxy.session_lifetime"
	}
	start := time.Now()
	ss := s.newSession()
	login := ss.login()
	resps := []*response{login.Resp}
	s.expire(login.Family)
	resps = append(resps, ss.api())
	s.expire(login.Family)
	resps = append(resps, ss.page())
	checked, persistent := 0, 0
	for _, r := range resps {
		for _, c := range s.sessionSetCookies(r) {
			if c.Value == "" || isClearing(c) {
				continue
			}
			checked++
			life, ok := cookieLife(c, r)
			if !ok {
				continue // a browser-session cookie
			}
			persistent++
			owed := want - time.Since(start) - lifetimeSlack
			Expect(life >= owed).To(BeTrue(),
				"each cookie of the session should live as long as the session can (no Max-Age or Expires, or at least %s, %s): %s set %s, which expires in %s, and the user is logged out then",
				want, why, r.Request, describeCookie(c), life.Round(time.Second))
		}
	}
	Expect(checked).To(BeNumerically(">", 0), "the login should set the session cookie %q", s.sessionCookieName())
	harness.Measured("%d Set-Cookies of the session, %d of them persistent (the session may live %s, %s)", checked, persistent, want, why)
}

// cookieLife is how long a browser keeps c from the response r: its
// Max-Age, or its Expires less the response's Date (the target's clock;
// the suite's when there is none); false for a browser-session cookie.
func cookieLife(c *http.Cookie, r *response) (time.Duration, bool) {
	if c.MaxAge > 0 {
		return time.Duration(c.MaxAge) * time.Second, true
	}
	if c.Expires.IsZero() {
		return 0, false
	}
	now := time.Now()
	if d, err := http.ParseTime(r.Header.Get("Date")); err == nil {
		now = d
	}
	return c.Expires.Sub(now), true
}
