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
	"strings"

	"github.com/refreshspec/refreshspec/profile"
)

// Problems are the attributes P1.2 wants of a Set-Cookie that carries the
// session and that c lacks: HttpOnly, Path=/, SameSite=Lax or Strict, and
// Secure when secure (the target runs with COOKIE_SECURE on).
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
