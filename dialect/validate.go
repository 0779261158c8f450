package dialect

import (
	"errors"
	"fmt"
	"strings"
)

// KeyError is a problem with one key of a mapping. Key is the key's dotted
// name inside the mapping ("refresh.path"), and Related the other key it
// clashes with, if any; Under puts the name of the section around both
// ("backend.refresh.path").
type KeyError struct {
	Key     string
	Problem string
	Related string
}

func (e *KeyError) Error() string {
	if e.Related != "" {
		return e.Key + ": " + e.Problem + " (" + e.Related + ")"
	}
	return e.Key + ": " + e.Problem
}

// Under returns err with its keys named inside section, when it is a
// *KeyError, and err itself otherwise.
func Under(section string, err error) error {
	var ke *KeyError
	if section == "" || !errors.As(err, &ke) {
		return err
	}
	out := &KeyError{Key: section + "." + ke.Key, Problem: ke.Problem}
	if ke.Related != "" {
		out.Related = section + "." + ke.Related
	}
	return out
}

func keyErr(key, format string, a ...any) error {
	return &KeyError{Key: key, Problem: fmt.Sprintf(format, a...)}
}

// clash is a KeyError about key that names the related key it clashes with.
func clash(key, related, format string, a ...any) error {
	return &KeyError{Key: key, Problem: fmt.Sprintf(format, a...), Related: related}
}

// role is one route of a mapping with its key.
type role struct {
	key string
	e   Endpoint
}

func (m *Mapping) roles() []role {
	return []role{{"login", m.Login}, {"refresh", m.Refresh}, {"logout", m.Logout}, {"me", m.Me}, {"profile", m.Profile}}
}

// Validate reports the first contradiction of a mapping that defaults were
// applied to, as a *KeyError naming its key: an unknown dialect or body
// kind, a path that is not one, two roles on one method and path that the
// backend could not tell apart, request fields that collide, answer paths
// where one value would have to sit inside another, or an OAuth 2.0 option
// in the json dialect.
func (m *Mapping) Validate() error {
	if m.Dialect != JSON && m.Dialect != OAuth2 {
		return keyErr("dialect", "%q is not one of json, oauth2", m.Dialect)
	}
	for _, r := range m.roles() {
		if err := checkEndpoint(r.key, r.e); err != nil {
			return err
		}
	}
	if err := m.checkSharedRoutes(); err != nil {
		return err
	}
	if err := m.checkFields(); err != nil {
		return err
	}
	if err := m.checkPaths(); err != nil {
		return err
	}
	return m.checkClient()
}

func checkEndpoint(key string, e Endpoint) error {
	if e.Method == "" || strings.IndexFunc(e.Method, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		return keyErr(key+".method", "%q is not an HTTP method", e.Method)
	}
	if !strings.HasPrefix(e.Path, "/") {
		return keyErr(key+".path", "%q must start with /", e.Path)
	}
	if i := strings.IndexAny(e.Path, " \t\r\n?#"); i >= 0 {
		return keyErr(key+".path", "%q is not a path: it has %q in it", e.Path, e.Path[i])
	}
	if e.Body != "" && e.Body != BodyJSON && e.Body != BodyForm {
		return keyErr(key+".body", "%q is not one of json, form", e.Body)
	}
	return nil
}

// checkSharedRoutes refuses two roles on one method and path, except the
// oauth2 token endpoint, where grant_type tells login from refresh.
func (m *Mapping) checkSharedRoutes() error {
	rs := m.roles()
	for j := 1; j < len(rs); j++ {
		for i := 0; i < j; i++ {
			a, b := rs[i], rs[j]
			if a.e.Method != b.e.Method || a.e.Path != b.e.Path {
				continue
			}
			if m.IsOAuth2() && a.key == "login" && b.key == "refresh" {
				if a.e.Body != b.e.Body {
					return clash("login.body", "refresh.body", "login and refresh share the token endpoint %s, so they take the same body, %q", a.e, b.e.Body)
				}
				continue
			}
			why := "no request says which of the two it is"
			if a.key == "login" && b.key == "refresh" {
				why = "in the json dialect nothing tells a login from a refresh (only the oauth2 token endpoint tells them apart, by grant_type)"
			}
			return clash(b.key+".path", a.key+".path", "%s is %s's route too: %s", b.e, a.key, why)
		}
	}
	return nil
}

func (m *Mapping) checkFields() error {
	fields := []struct{ key, name string }{
		{"login_fields.email", m.LoginFields.Email},
		{"login_fields.password", m.LoginFields.Password},
		{"fields.refresh_token", m.Fields.RefreshToken},
	}
	for _, f := range fields {
		if !validFieldName(f.name) {
			return keyErr(f.key, "%q is not a field name (letters, digits and _ - . : @ $)", f.name)
		}
	}
	if m.LoginFields.Email == m.LoginFields.Password {
		return clash("login_fields.password", "login_fields.email", "%q is the email's field too", m.LoginFields.Password)
	}
	if m.IsOAuth2() {
		// The password grant's own parameters (RFC 6749 §4.3.2, §3.2.1).
		for _, f := range fields[:2] {
			switch f.name {
			case "grant_type", "scope", "client_id", "client_secret":
				return keyErr(f.key, "%q is a parameter of the password grant itself", f.name)
			}
		}
	}
	return nil
}

// validFieldName accepts the names a JSON struct tag can carry and a form
// can send alike.
func validFieldName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("_-.:@$", r):
		default:
			return false
		}
	}
	return true
}

// answerPath is one value an answer carries, with the key that placed it.
type answerPath struct{ key, path string }

func (m *Mapping) checkPaths() error {
	required := []answerPath{{"paths.access_token", m.Paths.AccessToken}, {"paths.refresh_token", m.Paths.RefreshToken}, {"errors.code", m.Errors.Code}}
	optional := []answerPath{
		{"paths.expires_in", m.Paths.ExpiresIn}, {"paths.token_type", m.Paths.TokenType},
		{"paths.first_name", m.Paths.FirstName}, {"paths.me_first_name", m.Paths.MeFirstName},
		{"errors.message", m.Errors.Message}, {"success_flag", m.SuccessFlag},
	}
	for _, p := range required {
		if p.path == None {
			return keyErr(p.key, "every backend sends it: %q is not allowed here", None)
		}
		if err := checkDotted(p); err != nil {
			return err
		}
	}
	for _, p := range optional {
		if p.path == None {
			continue
		}
		if err := checkDotted(p); err != nil {
			return err
		}
	}
	// The success flag goes last, so that a clash with it names it, and
	// the scope right after the access token it derives from.
	flag := m.present(answerPath{"success_flag", m.SuccessFlag})
	tokens := []answerPath{{"paths.access_token", m.Paths.AccessToken}}
	if m.IsOAuth2() {
		tokens = append(tokens, answerPath{"paths.access_token", ScopePath(m.Paths.AccessToken)})
	}
	tokens = append(tokens, answerPath{"paths.refresh_token", m.Paths.RefreshToken})
	tokens = append(tokens, m.present(
		answerPath{"paths.expires_in", m.Paths.ExpiresIn},
		answerPath{"paths.token_type", m.Paths.TokenType})...)
	tokens = append(tokens, userPaths("paths.first_name", m.Paths.FirstName)...)
	if err := noOverlap(append(tokens, flag...)); err != nil {
		return err
	}
	if err := noOverlap(append(userPaths("paths.me_first_name", m.Paths.MeFirstName), flag...)); err != nil {
		return err
	}
	failure := append([]answerPath{{"errors.code", m.Errors.Code}}, m.present(answerPath{"errors.message", m.Errors.Message})...)
	return noOverlap(append(failure, flag...))
}

// present keeps the paths that are sent.
func (m *Mapping) present(ps ...answerPath) []answerPath {
	var out []answerPath
	for _, p := range ps {
		if Has(p.path) {
			out = append(out, p)
		}
	}
	return out
}

// ScopePath is where an oauth2 token answer carries the granted scope: beside
// the access token, as RFC 6749 §5.1 has it.
func ScopePath(accessToken string) string { return Sibling(accessToken, "scope") }

// UserFields are the fields of the user object that login and me answers
// carry, besides the first name under its own mapped name.
var UserFields = []string{"id", "email", "lastName"}

// userPaths are the paths of the user object whose first name is at
// firstName (none when firstName is None), named by key.
func userPaths(key, firstName string) []answerPath {
	if !Has(firstName) {
		return nil
	}
	out := []answerPath{{key, firstName}}
	for _, f := range UserFields {
		out = append(out, answerPath{key, Sibling(firstName, f)})
	}
	return out
}

func checkDotted(p answerPath) error {
	if p.path == "" {
		return keyErr(p.key, "a dotted path is needed")
	}
	for _, seg := range strings.Split(p.path, ".") {
		if seg == "" {
			return keyErr(p.key, "%q has an empty element: write keys joined by single dots (data.authorization.access_token)", p.path)
		}
	}
	return nil
}

// noOverlap refuses two values of one answer at the same path, or one inside
// the other (a token path that is a prefix of another), naming the later key.
func noOverlap(ps []answerPath) error {
	for j := 1; j < len(ps); j++ {
		for i := 0; i < j; i++ {
			a, b := ps[i], ps[j]
			switch {
			case a.path == b.path && a.key == b.key:
				return keyErr(b.key, "%q puts two values of the answer at the same place", b.path)
			case a.path == b.path:
				return clash(b.key, a.key, "%q is where another value of the answer goes", b.path)
			case strings.HasPrefix(b.path, a.path+"."):
				return clash(b.key, a.key, "%q is inside %q, where another value of the answer goes: one answer cannot hold a value there and an object", b.path, a.path)
			case strings.HasPrefix(a.path, b.path+"."):
				return clash(b.key, a.key, "%q holds %q, where another value of the answer goes: one answer cannot hold a value there and an object", b.path, a.path)
			}
		}
	}
	return nil
}

func (m *Mapping) checkClient() error {
	if m.ReuseLeeway < 0 {
		return keyErr("reuse_leeway", "%s is negative", m.ReuseLeeway.Std())
	}
	if m.Rotation != nil {
		if m.ReuseLeeway != 0 {
			return clash("reuse_leeway", "rotation", "a rotation says the grace period itself (rotation.grace_period); write one of the two")
		}
		if _, err := m.Rotation.Rules(); err != nil {
			return err
		}
	}
	if m.ClientSecret != "" && m.ClientID == "" {
		return keyErr("client_secret", "a secret needs its client_id")
	}
	if !m.IsOAuth2() {
		if m.ClientAuth != "" {
			return keyErr("client_auth", "only the oauth2 dialect authenticates a client; remove it or set dialect: oauth2")
		}
		if m.Scope != "" {
			return keyErr("scope", "only the oauth2 dialect's password grant sends a scope; remove it or set dialect: oauth2")
		}
		return nil
	}
	if m.ClientAuth != ClientAuthBasic && m.ClientAuth != ClientAuthBody {
		return keyErr("client_auth", "%q is not one of basic, body", m.ClientAuth)
	}
	if strings.TrimSpace(m.Scope) != m.Scope || strings.ContainsAny(m.Scope, "\"\\\t\r\n") || strings.Contains(m.Scope, "  ") {
		return keyErr("scope", "%q is not a list of scope tokens separated by single spaces (RFC 6749 §3.3)", m.Scope)
	}
	return nil
}
