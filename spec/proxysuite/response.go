package proxysuite

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// response is what the client got for one request.
type response struct {
	Request string // "GET /api/me", for messages
	Status  int
	Header  http.Header
	Body    []byte
	Cookies []*http.Cookie // parsed Set-Cookie headers
	// Sent is the request's body as it went out (a CSRF field included).
	Sent []byte
}

func (r *response) String() string {
	return fmt.Sprintf("%s → %d %s: %.300s", r.Request, r.Status, r.Header.Get("Content-Type"), r.Body)
}

// isLoginRedirect reports whether the response redirects (302, 303 or 307)
// to the login page.
func (r *response) isLoginRedirect(loginPath string) bool {
	if r.Status != http.StatusFound && r.Status != http.StatusSeeOther && r.Status != http.StatusTemporaryRedirect {
		return false
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	return err == nil && loc.Path == loginPath
}

// redirectsTo reports whether the response is any redirect (3xx with a
// Location) to path, whatever its query: a form login's "back to the
// login page" (Spring's 302 to /login?error).
func (r *response) redirectsTo(path string) bool {
	if r.Status < 300 || r.Status > 399 || r.Header.Get("Location") == "" {
		return false
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	return err == nil && loc.Path == path
}

// isClearing reports whether a Set-Cookie removes the cookie: Max-Age=0
// (Go reads it as a negative MaxAge) or an Expires in the past.
func isClearing(c *http.Cookie) bool {
	return c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now()))
}

// describeCookies lists Set-Cookies for a message: each cookie's name, the
// length of its value (which may hold a session) and its attributes;
// "no cookie" when there is none.
func describeCookies(cookies []*http.Cookie) string {
	if len(cookies) == 0 {
		return "no cookie"
	}
	parts := make([]string, len(cookies))
	for i, c := range cookies {
		parts[i] = describeCookie(c)
	}
	return strings.Join(parts, "; and ")
}

// describeCookie is one Set-Cookie as a message shows it: the value cut to
// its first characters, the attributes as sent.
func describeCookie(c *http.Cookie) string {
	v := c.Value
	if len(v) > 12 {
		v = fmt.Sprintf("%s… (%d bytes)", v[:12], len(c.Value))
	}
	shown := *c
	shown.Value = ""
	attrs := strings.TrimPrefix(shown.String(), c.Name+"=")
	return strings.TrimSpace(c.Name + "=" + v + attrs)
}
