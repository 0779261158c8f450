package proxysuite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/html"

	"github.com/refreshspec/refreshspec/profile"
)

// A target behind CSRF protection (Rails, Django, Spring Security,
// Laravel, csrf-sync in Express) refuses a login, a logout or a profile
// update without the token its login page hands out. The profile says where
// the page carries it (proxy.csrf.source) and how it goes back
// (proxy.csrf.send); the client fetches the login page in its own jar right
// before each such request, since many frameworks keep the token in the
// session, which a login regenerates. Auth.js serves the token as JSON
// (GET /auth/csrf) beside a double-submit cookie, and wants it on its
// sign-in and sign-out alone: proxy.csrf.source json:PATH#FIELD, and
// proxy.csrf.requests says which requests carry it.

// errNoCSRFToken is a login page that carries no token where the profile
// says; the pre-flight names proxy.csrf.source for it.
var errNoCSRFToken = errors.New("no CSRF token")

// maxTokenPageHops bounds the redirects the token fetch follows.
const maxTokenPageHops = 5

// csrfToken fetches the login page in the session's jar and reads the
// token where the profile's proxy.csrf.source says. A login page that sends
// a signed-in user on to the app (Laravel's guest middleware, Devise) is
// followed, within the target's origin, to the page it lands on, which
// carries the token as every page of such a framework does.
func (ss *session) csrfToken() (string, error) {
	p := ss.s.profile()
	if path, field, ok := p.Proxy.CSRF.JSONSource(); ok {
		return ss.csrfTokenFromJSON(path, field)
	}
	e := p.Proxy.LoginPage
	resp, path, err := ss.fetchTokenPage(e.Method, e.Path, "proxy.login_page")
	if err != nil {
		return "", err
	}
	kind, name := p.Proxy.CSRF.From()
	var token string
	switch kind {
	case profile.CSRFCookie:
		token = ss.cookieNamed(name)
		if t, err := url.QueryUnescape(token); err == nil {
			token = t // Laravel's XSRF-TOKEN travels URL-encoded; scripts send it decoded
		}
	default:
		token = tokenInPage(resp.Body, kind, name)
	}
	if token == "" {
		return "", fmt.Errorf("%w: %s %s answered 200, but proxy.csrf.source %q finds nothing there (%s)",
			errNoCSRFToken, e.Method, path, p.Proxy.CSRF.Source, csrfCandidates(resp))
	}
	return token, nil
}

// csrfTokenFromJSON fetches the token endpoint (proxy.csrf.source
// json:PATH#FIELD, Auth.js's GET /auth/csrf) in the session's jar, which
// keeps the cookie it sets (Auth.js's double-submit authjs.csrf-token) for
// the request that sends the token, and reads the string at the dotted
// path field of its JSON answer.
func (ss *session) csrfTokenFromJSON(path, field string) (string, error) {
	resp, at, err := ss.fetchTokenPage(http.MethodGet, path, "proxy.csrf.source")
	if err != nil {
		return "", err
	}
	var doc any
	if err := json.Unmarshal(resp.Body, &doc); err != nil {
		return "", fmt.Errorf("%w: GET %s answered 200, but proxy.csrf.source %q wants JSON there and the answer is %s",
			errNoCSRFToken, at, ss.s.profile().Proxy.CSRF.Source, describeBodyStart(resp))
	}
	v := doc
	for _, k := range strings.Split(field, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			v = nil
			break
		}
		v = m[k]
	}
	if token, ok := v.(string); ok && token != "" {
		return token, nil
	}
	return "", fmt.Errorf("%w: GET %s answered 200, but proxy.csrf.source %q finds no string at %s there (the answer's top-level keys: %s)",
		errNoCSRFToken, at, ss.s.profile().Proxy.CSRF.Source, field, topLevelKeys(doc))
}

// describeBodyStart is an answer's Content-Type and first bytes, for a
// message.
func describeBodyStart(resp *response) string {
	body := strings.TrimSpace(string(resp.Body))
	if len(body) > 80 {
		body = body[:80] + "..."
	}
	return fmt.Sprintf("%s %q", resp.Header.Get("Content-Type"), body)
}

// topLevelKeys lists a JSON object's keys, sorted; "none, it is no object"
// for another value.
func topLevelKeys(doc any) string {
	m, ok := doc.(map[string]any)
	if !ok {
		return "none, it is no object"
	}
	if len(m) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}

// fetchTokenPage requests the page at path and follows its redirects within
// the target's origin to a 200, which it returns with the path it ended on.
// key names the profile key that says where the page is, for the message.
func (ss *session) fetchTokenPage(method, path, key string) (*response, string, error) {
	var hops []string
	for {
		resp, err := ss.send(method, path, nil, "")
		if err != nil {
			return nil, path, fmt.Errorf("fetching the CSRF token: %w", err)
		}
		hops = append(hops, fmt.Sprintf("%s %s answered %d", method, path, resp.Status))
		if resp.Status == http.StatusOK {
			return resp, path, nil
		}
		next, ok := ss.sameOriginRedirect(resp)
		if !ok || len(hops) > maxTokenPageHops {
			return nil, path, fmt.Errorf("fetching the CSRF token: %s; want a 200 page with the token (%s; redirects are followed within the target, %d at most)",
				strings.Join(hops, ", then "), key, maxTokenPageHops)
		}
		method, path = http.MethodGet, next
	}
}

// sameOriginRedirect is the path and query a redirect sends the browser to,
// when it is one and stays on the target.
func (ss *session) sameOriginRedirect(resp *response) (string, bool) {
	if resp.Status < 300 || resp.Status > 399 {
		return "", false
	}
	loc, err := ss.base.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Host != ss.base.Host {
		return "", false
	}
	return loc.RequestURI(), true
}

// cookieNamed is the value of a cookie in the session's jar, "" when none.
func (ss *session) cookieNamed(name string) string {
	for _, c := range ss.jar.Cookies(ss.base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// tokenInPage reads the value of <input name=NAME> (kind input) or the
// content of <meta name=NAME> (kind meta) from an HTML page.
func tokenInPage(page []byte, kind, name string) string {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return ""
	}
	tag, valueAttr := "input", "value"
	if kind == profile.CSRFMeta {
		tag, valueAttr = "meta", "content"
	}
	var found string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if found != "" {
			return
		}
		if n.Type == html.ElementNode && n.Data == tag && attr(n, "name") == name {
			found = attr(n, valueAttr)
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

// csrfCandidates says what the login page does carry that looks like a
// token, for the message of a token not found: its cookies, hidden inputs
// and meta names.
func csrfCandidates(resp *response) string {
	var cookies, inputs, metas []string
	for _, c := range resp.Cookies {
		cookies = append(cookies, c.Name)
	}
	if doc, err := html.Parse(bytes.NewReader(resp.Body)); err == nil {
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				switch {
				case n.Data == "input" && attr(n, "type") == "hidden":
					inputs = append(inputs, attr(n, "name"))
				case n.Data == "meta" && attr(n, "name") != "":
					metas = append(metas, attr(n, "name"))
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
	}
	list := func(xs []string) string {
		if len(xs) == 0 {
			return "none"
		}
		return strings.Join(xs, ", ")
	}
	return fmt.Sprintf("the page sets cookies: %s; hidden inputs: %s; meta names: %s", list(cookies), list(inputs), list(metas))
}

// withCSRF adds token to a request as csrf.send says: a header, or a field
// of the body in the body's own shape (a form field; a member of a JSON
// object, appended so that the rest of the body keeps its bytes). A request
// without a body gets a form body holding the field alone.
func withCSRF(csrf profile.CSRF, token string, body []byte, contentType string) ([]byte, string, http.Header, error) {
	kind, name := csrf.To()
	if kind == profile.CSRFHeader {
		return body, contentType, http.Header{http.CanonicalHeaderKey(name): {token}}, nil
	}
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		return []byte(url.Values{name: {token}}.Encode()), "application/x-www-form-urlencoded", nil, nil
	case strings.HasPrefix(contentType, "application/x-www-form-urlencoded"):
		return append(append(append([]byte(nil), body...), '&'), url.Values{name: {token}}.Encode()...), contentType, nil, nil
	case strings.Contains(contentType, "json"):
		trimmed := bytes.TrimSpace(body)
		if len(trimmed) < 2 || trimmed[0] != '{' || trimmed[len(trimmed)-1] != '}' {
			return nil, "", nil, fmt.Errorf("proxy.csrf.send %q: the JSON body is not an object to add the field to", csrf.Send)
		}
		member, err := json.Marshal(map[string]string{name: token})
		if err != nil {
			return nil, "", nil, err
		}
		inner := bytes.TrimSpace(trimmed[1 : len(trimmed)-1])
		out := append([]byte(nil), trimmed[:len(trimmed)-1]...)
		if len(inner) > 0 {
			out = append(out, ',')
		}
		out = append(out, member[1:]...) // `"name":"token"}`
		return out, contentType, nil, nil
	}
	return nil, "", nil, fmt.Errorf("proxy.csrf.send %q: cannot add a field to a %s body", csrf.Send, contentType)
}

// hasInput reports whether an HTML page has an <input name=NAME>: a login
// form rendered again.
func hasInput(page []byte, name string) bool {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return false
	}
	var found bool
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if found {
			return
		}
		if n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") == name {
			found = true
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}
