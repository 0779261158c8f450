package proxysuite

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// response is what the client got for one request.
type response struct {
	Request string // "GET /api/me", for messages
	Status  int
	Header  http.Header
	Body    []byte
	Cookies []*http.Cookie // parsed Set-Cookie headers
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

// setCookie is the response's Set-Cookie for the cookie name, nil when it
// sets none.
func (r *response) setCookie(name string) *http.Cookie {
	for _, c := range r.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// setsCookie is the response's Set-Cookie that gives the session cookie a
// value (not a clearing one), or nil.
func (r *response) setsCookie(name string) *http.Cookie {
	c := r.setCookie(name)
	if c == nil || isClearing(c) || c.Value == "" {
		return nil
	}
	return c
}

// clearsCookie reports whether the response clears the session cookie.
func (r *response) clearsCookie(name string) bool {
	c := r.setCookie(name)
	return c != nil && isClearing(c)
}

// isClearing reports whether a Set-Cookie removes the cookie: Max-Age=0
// (Go reads it as a negative MaxAge) or an Expires in the past.
func isClearing(c *http.Cookie) bool {
	return c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now()))
}
