package proxysuite

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The session cookie: its name, as the profile gives it or the first login
// shows it, and its value in a session's jar.

// sessionCookieName is the profile's cookie name or the one learned at login.
func (s *suite) sessionCookieName() string {
	if n := s.profile().Proxy.CookieName; n != "" {
		return n
	}
	return s.cookieName
}

// learnCookieName takes the session cookie's name from the first successful
// login, unless the profile names it. When the login sets any HttpOnly
// cookie, only HttpOnly cookies are candidates: an app may also set a cookie
// that scripts must read (Laravel's XSRF-TOKEN), and that one is not the
// session. A target whose only cookie lacks HttpOnly still has it learned,
// so that P1.2 can fail on it.
func (s *suite) learnCookieName(r *response) {
	if s.profile().Proxy.CookieName != "" || s.cookieName != "" {
		return
	}
	s.cookieName = guessSessionCookie(r.Cookies)
}

// guessSessionCookie is the first cookie with a value that the response
// sets, preferring HttpOnly ones; "" when it sets none.
func guessSessionCookie(cookies []*http.Cookie) string {
	first := ""
	for _, c := range cookies {
		if c.Value == "" || isClearing(c) {
			continue
		}
		if c.HttpOnly {
			return c.Name
		}
		if first == "" {
			first = c.Name
		}
	}
	return first
}

// sessionCookieNameAfterLogin is the session cookie's name; when neither the
// profile nor an earlier login told it, a throwaway login does.
func (s *suite) sessionCookieNameAfterLogin() string {
	GinkgoHelper()
	if n := s.sessionCookieName(); n != "" {
		return n
	}
	s.newSession().login()
	return s.sessionCookieName()
}

// sessionOf is the session cookie a login set.
func (s *suite) sessionOf(l loginResult) string {
	GinkgoHelper()
	c := l.Resp.setsCookie(s.sessionCookieName())
	Expect(c).NotTo(BeNil(), "the login response should set the session cookie")
	return c.Value
}

// cookie is the session cookie's value in the jar, "" when there is none.
func (ss *session) cookie() string {
	name := ss.s.sessionCookieName()
	for _, c := range ss.jar.Cookies(ss.base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie puts a session cookie value into the jar, as a replayed or
// tampered cookie.
func (ss *session) setCookie(value string) {
	GinkgoHelper()
	name := ss.s.sessionCookieName()
	Expect(name).NotTo(BeEmpty(), "the session cookie's name is not known: no login succeeded yet and the profile names none")
	ss.jar.SetCookies(ss.base, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}
