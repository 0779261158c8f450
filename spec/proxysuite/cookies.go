package proxysuite

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/internal/sessioncookie"
)

// The session as a set of cookies. Real stacks carry one session in
// several cookies (package sessioncookie): a prefixed name (__Host-,
// __Secure-), a signature companion (NAME.sig), chunks of one value
// (NAME.0, NAME.1; NAME_0, ...). The suite knows the session by its base
// name, the profile's proxy.cookie_name or the one learned at the first
// login; every cookie whose base matches belongs to the set, and the set is
// what the specs capture, replay and tamper with, as a browser holds and
// sends it.
//
// A set travels through the specs as a string, its cookies as a Cookie
// header writes them, sorted by name ("session=...; session.sig=..."):
// "" is no session, two sets are the same session state when their strings
// are equal, and a spec that replays one puts every cookie of it in a
// fresh jar.

// sessionCookieName is the session's name for messages: the profile's
// proxy.cookie_name or the base name learned at login.
func (s *suite) sessionCookieName() string {
	if n := s.profile().Proxy.CookieName; n != "" {
		return n
	}
	return s.cookieName
}

// sessionPatterns are the base names (or patterns) of the session's
// cookies, nil while neither the profile nor a login told them.
func (s *suite) sessionPatterns() []string {
	if ns := s.profile().Proxy.CookieNames(); len(ns) > 0 {
		return ns
	}
	if s.cookieName != "" {
		return []string{s.cookieName}
	}
	return nil
}

// isSessionCookie reports whether a cookie named name belongs to the
// session's set.
func (s *suite) isSessionCookie(name string) bool {
	return sessioncookie.Matches(s.sessionPatterns(), name)
}

// learnCookieName takes the session's base name from the first successful
// login, unless the profile names it. When the login sets any HttpOnly
// cookie, only HttpOnly cookies are candidates: an app may also set a cookie
// that scripts must read (Laravel's XSRF-TOKEN), and that one is not the
// session. A target whose only cookie lacks HttpOnly still has it learned,
// so that P1.2 can fail on it. It also notes the name of the main cookie
// the login set (mainName), which a spec that makes up a session uses.
func (s *suite) learnCookieName(r *response) {
	if len(s.profile().Proxy.CookieNames()) == 0 && s.cookieName == "" {
		if g := guessSessionCookie(r.Cookies); g != "" {
			s.cookieName = sessioncookie.ParseName(g).Base
		}
	}
	s.loginOthers = nil
	for _, c := range r.Cookies {
		if c.Value != "" && !isClearing(c) && !s.isSessionCookie(c.Name) && !slices.Contains(s.loginOthers, c.Name) {
			s.loginOthers = append(s.loginOthers, c.Name)
		}
	}
	for _, c := range s.sessionSetCookies(r) {
		if n := sessioncookie.ParseName(c.Name); n.Part != sessioncookie.Sig && c.Value != "" && !isClearing(c) {
			s.mainName = n.Prefix + n.Base
			return
		}
	}
}

// companionHint says, for a session that did not open when replayed, which
// cookies the last login set besides the session's set: the suite replays
// the set alone, so a companion under a name it does not recognise (a
// signature or chunk that is not NAME.sig, NAME.N or NAME_N) was missing.
// "" when the login set none.
func (s *suite) companionHint() string {
	if len(s.loginOthers) == 0 {
		return ""
	}
	return fmt.Sprintf("; the replay sent the session's cookies (%s) but not the other cookies the login set, %q: if one of them is part of the session (a signature or a chunk under a name of its own), list it in proxy.cookie_name",
		s.sessionCookieName(), s.loginOthers)
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

// sessionCookieNameAfterLogin is the session's name; when neither the
// profile nor an earlier login told it, a throwaway login does.
func (s *suite) sessionCookieNameAfterLogin() string {
	GinkgoHelper()
	if n := s.sessionCookieName(); n != "" {
		return n
	}
	s.newSession().login()
	return s.sessionCookieName()
}

// sessionSetCookies are the Set-Cookies of the session in a response, the
// last of each cookie where the response sets one twice (as a browser
// applies them).
func (s *suite) sessionSetCookies(r *response) []*http.Cookie {
	kept, _ := sessioncookie.LastWins(r.Cookies)
	var out []*http.Cookie
	for _, c := range kept {
		if s.isSessionCookie(c.Name) {
			out = append(out, c)
		}
	}
	return out
}

// setsSession reports whether the response gives a cookie of the session
// a value (not only clearing ones).
func (s *suite) setsSession(r *response) bool {
	for _, c := range s.sessionSetCookies(r) {
		if c.Value != "" && !isClearing(c) && sessioncookie.ParseName(c.Name).Part != sessioncookie.Sig {
			return true
		}
	}
	return false
}

// setsSessionPart reports whether the response gives any cookie of the
// session's set a value, its signature included: a cookie whose value is a
// session id is re-signed under a new key without changing.
func (s *suite) setsSessionPart(r *response) bool {
	for _, c := range s.sessionSetCookies(r) {
		if c.Value != "" && !isClearing(c) {
			return true
		}
	}
	return false
}

// clearsSession reports whether the response clears the session: a
// Set-Cookie that clears a cookie holding its value (the main one or a
// chunk), and none that gives it a new one.
func (s *suite) clearsSession(r *response) bool {
	cleared := false
	for _, c := range s.sessionSetCookies(r) {
		if sessioncookie.ParseName(c.Name).Part == sessioncookie.Sig {
			continue
		}
		if isClearing(c) {
			cleared = true
		} else if c.Value != "" {
			return false
		}
	}
	return cleared
}

// sessionAfter is the set a client holding before holds once it applied
// the response's Set-Cookies of the session, as a browser does: the last
// of each wins, a clearing one deletes.
func (s *suite) sessionAfter(before string, r *response) string {
	set := map[string]string{}
	for _, c := range decodeSet(before) {
		set[c.Name] = c.Value
	}
	for _, c := range s.sessionSetCookies(r) {
		if isClearing(c) || c.Value == "" {
			delete(set, c.Name)
		} else {
			set[c.Name] = c.Value
		}
	}
	out := make([]*http.Cookie, 0, len(set))
	for n, v := range set {
		out = append(out, &http.Cookie{Name: n, Value: v})
	}
	return encodeSet(out)
}

// sessionOf is the session a login set: every cookie of the set its
// response gave a value.
func (s *suite) sessionOf(l loginResult) string {
	GinkgoHelper()
	Expect(s.setsSession(l.Resp)).To(BeTrue(), "the login response should set the session cookie")
	return s.sessionAfter("", l.Resp)
}

// encodeSet writes a set of cookies as a Cookie header does, sorted by
// name; "" for none.
func encodeSet(cookies []*http.Cookie) string {
	cs := slices.Clone(cookies)
	slices.SortFunc(cs, func(a, b *http.Cookie) int { return strings.Compare(a.Name, b.Name) })
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// decodeSet reads a set that encodeSet wrote.
func decodeSet(set string) []*http.Cookie {
	var out []*http.Cookie
	for part := range strings.SplitSeq(set, "; ") {
		if n, v, ok := strings.Cut(part, "="); ok && n != "" {
			out = append(out, &http.Cookie{Name: n, Value: v})
		}
	}
	return out
}

// setNames are the names of a set's cookies, for messages.
func setNames(set string) string {
	var names []string
	for _, c := range decodeSet(set) {
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		return "no cookie"
	}
	return strings.Join(names, ", ")
}

// setValueLen is how many bytes the session's value takes in a set (its
// chunks joined, a signature left out).
func setValueLen(set string) int { return len(sessioncookie.Value(decodeSet(set))) }

// tamperSet applies change to the session's value in a set and keeps its
// companions: the main cookie's value changes, a signature stays as it
// was (so the signed pair no longer verifies), and a chunked value is
// changed whole and cut again where its chunks were cut, the last chunk
// taking what is left.
func tamperSet(set string, change func(string) string) string {
	cookies := decodeSet(set)
	var chunks []*http.Cookie
	for _, c := range cookies {
		if sessioncookie.ParseName(c.Name).Part == sessioncookie.Chunk {
			chunks = append(chunks, c)
		}
	}
	value := change(sessioncookie.Value(cookies))
	if len(chunks) == 0 {
		for _, c := range cookies {
			if sessioncookie.ParseName(c.Name).Part == sessioncookie.Main {
				c.Value = value
			}
		}
		return encodeSet(cookies)
	}
	slices.SortFunc(chunks, func(a, b *http.Cookie) int {
		return sessioncookie.ParseName(a.Name).Index - sessioncookie.ParseName(b.Name).Index
	})
	var out []*http.Cookie
	for _, c := range cookies {
		if sessioncookie.ParseName(c.Name).Part != sessioncookie.Chunk {
			out = append(out, c)
		}
	}
	for i, c := range chunks {
		n := len(c.Value)
		if i == len(chunks)-1 || n > len(value) {
			n = len(value)
		}
		if n == 0 {
			break
		}
		out = append(out, &http.Cookie{Name: c.Name, Value: value[:n]})
		value = value[n:]
	}
	return encodeSet(out)
}

// madeUpSession is a set of one cookie, the session's main cookie with
// value: a cookie no login made.
func (s *suite) madeUpSession(value string) string {
	GinkgoHelper()
	name := s.mainName
	if name == "" {
		name = s.cookieName
	}
	if name == "" {
		if ns := s.profile().Proxy.CookieNames(); len(ns) > 0 && !strings.ContainsAny(ns[0], "*?[") {
			name = ns[0]
		}
	}
	Expect(name).NotTo(BeEmpty(), "the session cookie's name is not known: no login succeeded yet and the profile names none")
	return name + "=" + value
}

// cookie is the session the jar holds: every cookie of the set, "" when
// there is none.
func (ss *session) cookie() string {
	var set []*http.Cookie
	for _, c := range ss.jar.Cookies(ss.base) {
		if ss.s.isSessionCookie(c.Name) {
			set = append(set, c)
		}
	}
	return encodeSet(set)
}

// setCookie puts a session, every cookie of the set, into the jar, as a
// replayed or tampered session.
func (ss *session) setCookie(set string) {
	GinkgoHelper()
	cookies := decodeSet(set)
	Expect(cookies).NotTo(BeEmpty(), "a session to present holds no cookie: %q", set)
	for _, c := range cookies {
		c.Path = "/"
	}
	ss.jar.SetCookies(ss.base, cookies)
}

// sessionNamesSeen lists the cookies a response set, for a message that
// says proxy.cookie_name matched none of them.
func sessionNamesSeen(r *response) string {
	var names []string
	for _, c := range r.Cookies {
		if !slices.Contains(names, c.Name) {
			names = append(names, c.Name)
		}
	}
	if len(names) == 0 {
		return "no cookie"
	}
	return fmt.Sprintf("%q", names)
}

// cookieNameHint says, for a login that set no cookie of the session, what
// it set instead and the profile key that maps the session's cookie.
func (s *suite) cookieNameHint(r *response) string {
	if len(r.Cookies) == 0 {
		return ""
	}
	if len(s.profile().Proxy.CookieNames()) == 0 {
		return fmt.Sprintf("\nno cookie it set (%s) looks like a session; proxy.cookie_name names the session's cookie", sessionNamesSeen(r))
	}
	return fmt.Sprintf("\nno cookie it set (%s) matches proxy.cookie_name %q (a name or a pattern; prefixes and NAME.sig, NAME.0, NAME_0 companions are understood): is proxy.cookie_name right?",
		sessionNamesSeen(r), s.profile().Proxy.CookieName)
}
