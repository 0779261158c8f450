package profile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/refreshspec/refreshspec/catalogue"
)

// The keys that say how the suite talks to a target built on another stack
// than the reference's: where its session lives, its CSRF protection, the
// TLS-terminating proxy in front of it, how it reads BACKEND_TIMEOUT, and the
// run's accepted failures.

// SessionModel says what a target's session cookie holds.
type SessionModel string

// The session models.
const (
	// SessionSealed is a cookie that holds the session itself, sealed
	// (iron-session, the reference): every rotation sends a new cookie value.
	SessionSealed SessionModel = "sealed"
	// SessionServer is a cookie that holds a session id, the tokens staying
	// in the server's store (express-session, Rails, Django): a rotation may
	// keep the cookie as it is, and replaying it presents the new tokens.
	SessionServer SessionModel = "server"
)

// TimeoutFormat is how BACKEND_TIMEOUT is written for the target.
type TimeoutFormat string

// The formats of BACKEND_TIMEOUT.
const (
	TimeoutGo      TimeoutFormat = "go"      // a Go duration: "2s", "1.5s"
	TimeoutSeconds TimeoutFormat = "seconds" // whole seconds: "2"
	TimeoutMillis  TimeoutFormat = "ms"      // whole milliseconds: "2000"
)

// ForwardedHTTPS and ForwardedNone are the values of target.forwarded_proto.
const (
	ForwardedHTTPS = "https"
	ForwardedNone  = "none"
)

// NoVariable is the value of target.env_names.session_secret for a target
// whose cookie depends on no secret.
const NoVariable = "none"

// CSRF says where a target's login page carries its CSRF token and how the
// requests that change state send it back.
type CSRF struct {
	// Source is "cookie:NAME" (a cookie the login page sets, as Django's
	// csrftoken or Laravel's XSRF-TOKEN), "input:NAME" (a hidden input of
	// the login form, as Rails' authenticity_token or csrf-sync's _csrf) or
	// "meta:NAME" (a <meta name=NAME content=...> of the login page), or
	// "json:PATH#FIELD": the member at the dotted path FIELD of the JSON
	// answer of GET PATH (Auth.js: json:/auth/csrf#csrfToken).
	Source string `json:"source,omitempty"`
	// Send is "header:NAME" (X-CSRF-Token) or "field:NAME" (a field of the
	// request's body: a form field, or a member of a JSON object).
	Send string `json:"send,omitempty"`
	// Requests lists the requests that carry the token: CSRFOnLogin,
	// CSRFOnLogout, CSRFOnUpdate; nil means all three. Auth.js wants it
	// on its sign-in and sign-out only, not on the app's own API routes.
	Requests []string `json:"requests,omitempty"`
}

// The kinds of CSRF.Source and CSRF.Send.
const (
	CSRFCookie = "cookie"
	CSRFInput  = "input"
	CSRFMeta   = "meta"
	CSRFJSON   = "json"
	CSRFHeader = "header"
	CSRFField  = "field"
)

// The requests CSRF.Requests may list.
const (
	CSRFOnLogin  = "login"
	CSRFOnLogout = "logout"
	CSRFOnUpdate = "update"
)

// Enabled reports whether the profile asks for a CSRF token.
func (c CSRF) Enabled() bool { return c.Source != "" }

// Carries reports whether the request req (CSRFOnLogin, CSRFOnLogout or
// CSRFOnUpdate) goes with the token: the profile asks for one, and Requests
// lists req or is left out.
func (c CSRF) Carries(req string) bool {
	return c.Enabled() && (c.Requests == nil || slices.Contains(c.Requests, req))
}

// JSONSource is the path and the dotted field of a "json:PATH#FIELD"
// source; ok is false for another kind.
func (c CSRF) JSONSource() (path, field string, ok bool) {
	kind, name := c.From()
	if kind != CSRFJSON {
		return "", "", false
	}
	path, field, _ = strings.Cut(name, "#")
	return strings.TrimSpace(path), strings.TrimSpace(field), true
}

// From is the source's kind (CSRFCookie, CSRFInput, CSRFMeta or CSRFJSON)
// and name (for CSRFJSON, "PATH#FIELD": see JSONSource).
func (c CSRF) From() (kind, name string) { return splitKind(c.Source) }

// To is how the token is sent (CSRFHeader or CSRFField) and under what name.
func (c CSRF) To() (kind, name string) { return splitKind(c.Send) }

func splitKind(s string) (kind, name string) {
	kind, name, _ = strings.Cut(s, ":")
	return strings.TrimSpace(kind), strings.TrimSpace(name)
}

// Acceptance is one failure a run accepts: the scenario and why. An
// accepted failure is reported as ACCEPTED with the reason and does not
// fail the run; an accepted scenario that passes is reported so that its
// entry can go.
type Acceptance struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// BackendTimeoutValue is Target.BackendTimeout written as the target reads
// it (Target.BackendTimeoutFormat): "2s", "2" or "2000". Validate has
// checked that it is whole in the chosen unit.
func (t Target) BackendTimeoutValue() string {
	d := t.BackendTimeout.Std()
	switch t.BackendTimeoutFormat {
	case TimeoutSeconds:
		return strconv.FormatInt(int64(d/time.Second), 10)
	case TimeoutMillis:
		return strconv.FormatInt(int64(d/time.Millisecond), 10)
	}
	return d.String()
}

// SessionSecretless reports whether the target's cookie depends on no
// secret (target.env_names.session_secret: none).
func (t Target) SessionSecretless() bool { return t.EnvNames.SessionSecret == NoVariable }

// validateSuiteKeys checks the keys of this file, naming the key at fault.
func (p *Profile) validateSuiteKeys() error {
	switch p.Proxy.Session {
	case SessionSealed, SessionServer:
	default:
		return fmt.Errorf("proxy.session: %q is not one of sealed, server", p.Proxy.Session)
	}
	if err := p.Proxy.CSRF.validate(); err != nil {
		return err
	}
	if err := validateCookieNames(p.Proxy.CookieName); err != nil {
		return err
	}
	switch p.Target.ForwardedProto {
	case ForwardedHTTPS, ForwardedNone:
	default:
		return fmt.Errorf("target.forwarded_proto: %q is not one of https, none", p.Target.ForwardedProto)
	}
	if err := p.Target.validateTimeout(); err != nil {
		return err
	}
	names := p.Target.EnvNames
	for key, v := range map[string]string{
		"backend_url": names.BackendURL, "port": names.Port, "cookie_secure": names.CookieSecure, "backend_timeout": names.BackendTimeout,
	} {
		if v == NoVariable {
			return fmt.Errorf("target.env_names.%s: %q is only allowed for session_secret (a target must read this variable)", key, v)
		}
	}
	return checkAccept(p.Accept, "accept")
}

func (c CSRF) validate() error {
	if c.Source == "" && c.Send == "" {
		if c.Requests != nil {
			return errors.New("proxy.csrf.requests: lists the requests that carry a CSRF token, but the profile gives no proxy.csrf.source and send")
		}
		return nil
	}
	if c.Source == "" || c.Send == "" {
		return errors.New("proxy.csrf: give both source and send (say source: input:_csrf and send: field:_csrf)")
	}
	kind, name := c.From()
	switch {
	case kind == CSRFJSON:
		if err := c.validateJSONSource(); err != nil {
			return err
		}
	case kind != CSRFCookie && kind != CSRFInput && kind != CSRFMeta:
		return fmt.Errorf("proxy.csrf.source: %q is not %s", c.Source, csrfSourceShapes)
	case name == "":
		return fmt.Errorf("proxy.csrf.source: %q names no cookie, input or meta element", c.Source)
	}
	if err := c.validateRequests(); err != nil {
		return err
	}
	kind, name = c.To()
	switch {
	case kind != CSRFHeader && kind != CSRFField:
		return fmt.Errorf("proxy.csrf.send: %q is not header:NAME or field:NAME", c.Send)
	case name == "":
		return fmt.Errorf("proxy.csrf.send: %q names no header or field", c.Send)
	}
	return nil
}

// csrfSourceShapes are the shapes proxy.csrf.source accepts, for errors.
const csrfSourceShapes = "cookie:NAME, input:NAME, meta:NAME or json:PATH#FIELD (json:/auth/csrf#csrfToken)"

// validateJSONSource checks a json:PATH#FIELD source: a path of the
// target's own, and a dotted field.
func (c CSRF) validateJSONSource() error {
	path, field, _ := c.JSONSource()
	_, name := c.From()
	switch {
	case !strings.Contains(name, "#"):
		return fmt.Errorf("proxy.csrf.source: %q names no field; want json:PATH#FIELD, such as json:/auth/csrf#csrfToken", c.Source)
	case !strings.HasPrefix(path, "/"):
		return fmt.Errorf("proxy.csrf.source: %q: the path %q does not start with /; want json:PATH#FIELD, such as json:/auth/csrf#csrfToken", c.Source, path)
	case field == "" || slices.Contains(strings.Split(field, "."), ""):
		return fmt.Errorf("proxy.csrf.source: %q: the field %q is not a dotted path such as csrfToken or data.token; want json:PATH#FIELD", c.Source, field)
	}
	return nil
}

// validateRequests checks proxy.csrf.requests: a non-empty list of login, logout and
// update, each once.
func (c CSRF) validateRequests() error {
	if c.Requests != nil && len(c.Requests) == 0 {
		return errors.New("proxy.csrf.requests: empty; list the requests that carry the token (login, logout, update), or leave it out for all three")
	}
	seen := map[string]bool{}
	for i, r := range c.Requests {
		switch r {
		case CSRFOnLogin, CSRFOnLogout, CSRFOnUpdate:
		default:
			return fmt.Errorf("proxy.csrf.requests[%d]: %q is not one of login, logout, update", i, r)
		}
		if seen[r] {
			return fmt.Errorf("proxy.csrf.requests[%d]: %s is listed twice", i, r)
		}
		seen[r] = true
	}
	return nil
}

func (t Target) validateTimeout() error {
	d := t.BackendTimeout.Std()
	if d <= 0 {
		return fmt.Errorf("target.backend_timeout: %s is not positive", d)
	}
	switch t.BackendTimeoutFormat {
	case TimeoutGo:
	case TimeoutSeconds:
		if d%time.Second != 0 {
			return fmt.Errorf("target.backend_timeout: %s is not a whole number of seconds, which target.backend_timeout_format: seconds writes", d)
		}
	case TimeoutMillis:
		if d%time.Millisecond != 0 {
			return fmt.Errorf("target.backend_timeout: %s is not a whole number of milliseconds, which target.backend_timeout_format: ms writes", d)
		}
	default:
		return fmt.Errorf("target.backend_timeout_format: %q is not one of go, seconds, ms", t.BackendTimeoutFormat)
	}
	return nil
}

// checkAccept checks an accept list: each entry names a scenario of the
// catalogue, once, with a reason. where names the list in errors.
func checkAccept(list []Acceptance, where string) error {
	seen := map[string]bool{}
	for i, a := range list {
		if _, ok := catalogue.Lookup(a.ID); !ok {
			return fmt.Errorf("%s[%d].id: %q is not a scenario ID of the catalogue (refreshspec list)", where, i, a.ID)
		}
		if strings.TrimSpace(a.Reason) == "" {
			return fmt.Errorf("%s[%d].reason: empty; say why %s may fail, for whoever reads the report", where, i, a.ID)
		}
		if seen[a.ID] {
			return fmt.Errorf("%s[%d].id: %s is listed twice", where, i, a.ID)
		}
		seen[a.ID] = true
	}
	return nil
}

// LoadAccept reads an accept file (--accept): a YAML or JSON list of
// {id, reason}, checked as the profile's accept key is; errors name the
// file and the entry as the profile's key would ("accept[0].reason").
func LoadAccept(path string) ([]Acceptance, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("accept file %s: %w", path, err)
	}
	var list []Acceptance
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := decode(raw, &list, "accept"); err != nil {
			return nil, fmt.Errorf("accept file %s: %w", path, err)
		}
	}
	if err := checkAccept(list, "accept"); err != nil {
		return nil, fmt.Errorf("accept file %s: %w", path, err)
	}
	return list, nil
}

// CookieNames are the names, or path.Match patterns of names, that
// proxy.cookie_name lists (separated by commas or spaces); none when it is
// empty, which means "the cookie the login sets". Each names a session's
// base: the __Secure- and __Host- prefixes need not be spelled, and the
// companions NAME.sig, NAME.0, NAME.1, ... and NAME_0, NAME_1, ... belong
// to the session too (package sessioncookie).
func (p Proxy) CookieNames() []string { return splitCookieNames(p.CookieName) }

func splitCookieNames(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// validateCookieNames checks proxy.cookie_name: each entry a cookie name
// (an HTTP token) or a pattern of one.
func validateCookieNames(v string) error {
	if strings.TrimSpace(v) == "" && v != "" {
		return fmt.Errorf("proxy.cookie_name: %q names no cookie (leave it out to take the cookie the login sets)", v)
	}
	for _, n := range splitCookieNames(v) {
		if _, err := path.Match(n, ""); err != nil {
			return fmt.Errorf("proxy.cookie_name: %q is not a valid pattern (*, ? and [...] as in path.Match): %v", n, err)
		}
		if i := strings.IndexFunc(n, func(r rune) bool {
			return r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@;:\\\"/{}=", r)
		}); i >= 0 {
			return fmt.Errorf("proxy.cookie_name: %q holds %q, which no cookie name may", n, n[i:i+1])
		}
	}
	return nil
}
