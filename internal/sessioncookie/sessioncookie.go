// Package sessioncookie holds what the proxy and browser suites both judge
// about the session cookie and the TLS edge the target sits behind: the
// attributes P1.2 wants of every Set-Cookie that carries the session, and
// whether the target runs with COOKIE_SECURE on, in which case the suite's
// requests (the browser's too) arrive as a TLS-terminating load balancer
// forwards them.
package sessioncookie

import (
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/refreshspec/refreshspec/profile"
)

// Problems are the attributes P1.2 wants of a Set-Cookie that carries the
// session and that c lacks: HttpOnly, Path=/, SameSite=Lax or Strict, and
// Secure when secure (the target runs with COOKIE_SECURE on); and what its
// name's prefix owes (PrefixProblems).
func Problems(c *http.Cookie, secure bool) []string {
	var out []string
	if !c.HttpOnly {
		out = append(out, "HttpOnly")
	}
	if c.Path != "/" {
		out = append(out, fmt.Sprintf("Path=/ (it has %q)", c.Path))
	}
	if c.SameSite != http.SameSiteLaxMode && c.SameSite != http.SameSiteStrictMode {
		out = append(out, "SameSite=Lax or Strict")
	}
	if secure && !c.Secure {
		out = append(out, "Secure (the target runs with COOKIE_SECURE on)")
	}
	for _, p := range PrefixProblems(c) {
		if secure && strings.HasPrefix(p, "Secure") {
			continue // said above
		}
		out = append(out, p)
	}
	return out
}

// Secure reports whether a target running with env (its variables of
// contract.md §2, nil for a target the suite did not start) has
// COOKIE_SECURE on, as far as the suite knows: the suite set the variable,
// and not to false. Its cookies then owe the Secure attribute, and the
// suite's requests carry ForwardedHeaders.
func Secure(env map[string]string) bool {
	v, told := env["COOKIE_SECURE"]
	return told && !strings.EqualFold(strings.TrimSpace(v), "false")
}

// ForwardedHeaders are the headers every request to the target carries, the
// browser's included: X-Forwarded-Proto: https while the target runs with
// COOKIE_SECURE on, as a TLS-terminating load balancer in front of it sends
// (express-session, Koa and Rails set no Secure cookie on a plain-HTTP
// request without it); none when the profile says
// target.forwarded_proto: none.
func ForwardedHeaders(env map[string]string, prof *profile.Profile) http.Header {
	if !Secure(env) || prof.Target.ForwardedProto == profile.ForwardedNone {
		return nil
	}
	return http.Header{"X-Forwarded-Proto": {"https"}}
}

// The session as a set of cookies. Real stacks carry one session in
// several cookies: a name with the __Secure- or __Host- prefix the app adds
// on https (Auth.js), a signature companion NAME.sig (koa-session's
// keygrip), or the chunks of one value, NAME.0, NAME.1, ... (Auth.js) or
// NAME_0, NAME_1, ... (oauth2-proxy). Every cookie of the set shares one
// base name: the name with its prefix and its companion suffix taken off.

// The cookie name prefixes of RFC 6265bis §4.1.3.
const (
	SecurePrefix = "__Secure-"
	HostPrefix   = "__Host-"
)

// Part is what a cookie of the session is to it.
type Part int

const (
	// Main is the cookie that holds the session's value itself.
	Main Part = iota
	// Sig is a signature companion (NAME.sig).
	Sig
	// Chunk is one chunk of a value split over several cookies.
	Chunk
)

// Name is a cookie name read as a member of a session's set.
type Name struct {
	Full   string // as sent: "__Host-session.1"
	Prefix string // "", SecurePrefix or HostPrefix
	Base   string // "session"
	Part   Part
	Index  int // a chunk's index
}

// ParseName reads a cookie name as a member of a session's set.
func ParseName(full string) Name {
	n := Name{Full: full, Base: full}
	for _, p := range []string{SecurePrefix, HostPrefix} {
		if len(n.Base) > len(p) && strings.EqualFold(n.Base[:len(p)], p) {
			n.Prefix, n.Base = p, n.Base[len(p):]
			break
		}
	}
	if b, ok := strings.CutSuffix(n.Base, ".sig"); ok && b != "" {
		n.Base, n.Part = b, Sig
		return n
	}
	if i := strings.LastIndexAny(n.Base, "._"); i > 0 && i < len(n.Base)-1 {
		if k, err := strconv.Atoi(n.Base[i+1:]); err == nil && k >= 0 && k < 100 && strconv.Itoa(k) == n.Base[i+1:] {
			n.Base, n.Part, n.Index = n.Base[:i], Chunk, k
		}
	}
	return n
}

// Matches reports whether a cookie named full belongs to the session whose
// base names, or path.Match patterns of them, are patterns: its name with
// the prefix and the companion suffix taken off (its base) matches one of
// them, each with its own prefix taken off too. So "session" matches
// __Host-session, session.sig and session.1, and "__Secure-x" matches x.
func Matches(patterns []string, full string) bool {
	base := ParseName(full).Base
	for _, p := range patterns {
		if ok, err := path.Match(ParseName(p).Base, base); err == nil && ok {
			return true
		}
		if ok, err := path.Match(stripPrefix(p), base); err == nil && ok {
			return true
		}
	}
	return false
}

func stripPrefix(p string) string {
	for _, pre := range []string{SecurePrefix, HostPrefix} {
		if len(p) > len(pre) && strings.EqualFold(p[:len(pre)], pre) {
			return p[len(pre):]
		}
	}
	return p
}

// Value is the session's value as the set carries it: the main cookie's,
// or the chunks joined in order of their index (a chunked session has no
// main cookie, or the chunks take over from it); "" when the set holds
// neither. Signature companions are left out.
func Value(set []*http.Cookie) string {
	chunks := map[int]string{}
	main := ""
	for _, c := range set {
		switch n := ParseName(c.Name); n.Part {
		case Main:
			main = c.Value
		case Chunk:
			chunks[n.Index] = c.Value
		}
	}
	if len(chunks) == 0 {
		return main
	}
	var b strings.Builder
	for i := 0; ; i++ {
		v, ok := chunks[i]
		if !ok {
			break
		}
		b.WriteString(v)
	}
	return b.String()
}

// PrefixProblems are the rules a cookie's name prefix sets that c breaks
// (RFC 6265bis §4.1.3): __Secure- wants Secure; __Host- wants Secure,
// Path=/ and no Domain. A browser refuses such a cookie outright.
func PrefixProblems(c *http.Cookie) []string {
	var out []string
	switch ParseName(c.Name).Prefix {
	case SecurePrefix:
		if !c.Secure {
			out = append(out, "Secure (its name has the __Secure- prefix)")
		}
	case HostPrefix:
		if !c.Secure {
			out = append(out, "Secure (its name has the __Host- prefix)")
		}
		if c.Path != "/" {
			out = append(out, fmt.Sprintf("Path=/ (its name has the __Host- prefix; it has %q)", c.Path))
		}
		if c.Domain != "" {
			out = append(out, fmt.Sprintf("no Domain (its name has the __Host- prefix; it has Domain=%s)", c.Domain))
		}
	}
	return out
}

// LastWins keeps, of the Set-Cookies of one response, the last of each
// cookie (name, domain and path, as a browser keys its store), in the
// order of their last appearance, as a browser applies them; dups names
// the cookies the response set more than once (RFC 6265 §4.1.1: a server
// SHOULD NOT).
func LastWins(cookies []*http.Cookie) (kept []*http.Cookie, dups []string) {
	type key struct{ name, domain, path string }
	last := map[key]int{}
	count := map[key]int{}
	for i, c := range cookies {
		k := key{c.Name, strings.ToLower(strings.TrimPrefix(c.Domain, ".")), c.Path}
		last[k] = i
		count[k]++
	}
	for i, c := range cookies {
		k := key{c.Name, strings.ToLower(strings.TrimPrefix(c.Domain, ".")), c.Path}
		if last[k] != i {
			continue
		}
		kept = append(kept, c)
		if count[k] > 1 {
			dups = append(dups, fmt.Sprintf("%s (%d times)", c.Name, count[k]))
		}
	}
	return kept, dups
}
