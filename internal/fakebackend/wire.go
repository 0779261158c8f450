package fakebackend

import (
	"errors"
	"fmt"
	"mime"
	"net/url"
	"path"
	"reflect"
	"strings"

	"github.com/refreshspec/refreshspec/dialect"
)

// CheckMapping reports why the fake backend cannot serve m (defaults are
// applied to a copy first): a contradiction dialect.Mapping.Validate finds,
// or a dialect feature this backend does not have. The error is a
// *dialect.KeyError naming the mapping's key; dialect.Under("backend", err)
// names it as a profile key.
func CheckMapping(m dialect.Mapping) error {
	m.ApplyDefaults()
	if err := m.Validate(); err != nil {
		return err
	}
	for _, r := range []struct {
		key string
		e   dialect.Endpoint
	}{{"login", m.Login}, {"refresh", m.Refresh}, {"logout", m.Logout}, {"me", m.Me}, {"profile", m.Profile}} {
		switch r.e.Method {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			return keyErr(r.key+".method", "the fake backend serves GET, POST, PUT, PATCH and DELETE routes, not %s", r.e.Method)
		}
		if i := strings.IndexFunc(r.e.Path, unroutable); i >= 0 {
			return keyErr(r.key+".path", "the fake backend cannot route a path with %q in it", r.e.Path[i])
		}
		if p := r.e.Path; p != "/" && path.Clean(p) != strings.TrimSuffix(p, "/") {
			return keyErr(r.key+".path", "%q is not a clean path (no //, . or .. elements)", p)
		}
	}
	if m.Profile.Body != dialect.BodyJSON {
		return keyErr("profile.body", "the fake backend's profile route takes a JSON object of the fields to change, not %q", m.Profile.Body)
	}
	if !m.IsOAuth2() {
		return nil
	}
	if !m.TokenEndpoint() {
		return keyErr("login.path", "the fake backend serves the oauth2 dialect's login as the password grant of the token endpoint (refresh: %s); "+
			"give login the same method and path, or leave it out", m.Refresh)
	}
	if m.Refresh.Body != dialect.BodyForm {
		return keyErr("refresh.body", "the oauth2 token endpoint takes form bodies (RFC 6749 §4.3.2 and §6), not %q", m.Refresh.Body)
	}
	if m.Logout.Body != dialect.BodyForm {
		return keyErr("logout.body", "the oauth2 dialect's logout is an RFC 7009 revocation, which takes a form body, not %q", m.Logout.Body)
	}
	return nil
}

func keyErr(key, format string, a ...any) error {
	return &dialect.KeyError{Key: key, Problem: fmt.Sprintf(format, a...)}
}

// unroutable are the characters a ServeMux pattern would read as syntax,
// and controls.
func unroutable(r rune) bool { return r == '{' || r == '}' || r == '%' || r < 0x20 || r == 0x7f }

// The slots of the answers' shapes.
const (
	slotSuccess = iota
	slotAccess
	slotRefresh
	slotTokenType
	slotExpiresIn
	slotScope
	slotUserID
	slotUserEmail
	slotUserFirst
	slotUserLast
	slotMessage
	slotCode
	slotData
	numSlots
)

// slots are the values of one answer.
type slots [numSlots]value

// wire is the mapping a server speaks, compiled once: the shapes of its
// answers and the readers of its request bodies.
type wire struct {
	m      dialect.Mapping
	oauth2 bool

	tokens       shape // login and refresh answers
	wrongTokens  shape // the same under BreakWrongEnvelope
	user         shape // me and profile answers
	failure      shape // every failure, and the json dialect's logout
	emptySuccess shape // a success with nothing in it (a status fault's 200)
	truncated    []byte

	// The json dialect's request bodies.
	loginBody, refreshBody, logoutBody *bodyReader
	// firstNameKey is the first name's field in profile updates, besides firstName.
	firstNameKey string
	// allow lists the methods served on each path, for 405 answers.
	allow map[string]string
}

// truncatedMark stands for the access token where the truncated fault body
// is cut.
const truncatedMark = "~~refreshspec-truncated-here~~"

func newWire(m dialect.Mapping) *wire {
	w := &wire{m: m, oauth2: m.IsOAuth2(), firstNameKey: dialect.Leaf(m.Paths.MeFirstName)}
	addIf := func(sh *shape, p string, slot int) {
		if dialect.Has(p) {
			sh.add(p, slot)
		}
	}
	tokenPaths := func(sh *shape, move func(string) string) {
		addIf(sh, m.SuccessFlag, slotSuccess)
		sh.add(move(m.Paths.AccessToken), slotAccess)
		sh.add(move(m.Paths.RefreshToken), slotRefresh)
		addIf(sh, move(m.Paths.TokenType), slotTokenType)
		addIf(sh, move(m.Paths.ExpiresIn), slotExpiresIn)
		if w.oauth2 {
			sh.add(move(dialect.ScopePath(m.Paths.AccessToken)), slotScope)
		}
		addUser(sh, m.Paths.FirstName)
	}
	tokenPaths(&w.tokens, func(p string) string { return p })
	tokenPaths(&w.wrongTokens, wrongEnvelope)
	addIf(&w.user, m.SuccessFlag, slotSuccess)
	addUser(&w.user, m.Paths.MeFirstName)
	addIf(&w.failure, m.SuccessFlag, slotSuccess)
	addIf(&w.failure, m.Errors.Message, slotMessage)
	w.failure.add(m.Errors.Code, slotCode)
	addIf(&w.emptySuccess, m.SuccessFlag, slotSuccess)
	if first, _, nested := strings.Cut(m.Paths.AccessToken, "."); nested {
		w.emptySuccess.add(first, slotData)
	}
	var v slots
	v[slotSuccess] = boolValue(true)
	v[slotAccess] = textValue(truncatedMark)
	full := w.tokens.render(nil, v[:])
	w.truncated = full[:strings.Index(string(full), truncatedMark)]

	if !w.oauth2 {
		w.loginBody = newBodyReader(m.Login.Body, m.LoginFields.Email, m.LoginFields.Password)
		w.refreshBody = newBodyReader(m.Refresh.Body, m.Fields.RefreshToken)
		w.logoutBody = newBodyReader(m.Logout.Body, m.Fields.RefreshToken)
	}
	w.allow = map[string]string{}
	for _, e := range w.endpoints() {
		if a := w.allow[e.Path]; a == "" {
			w.allow[e.Path] = e.Method
		} else if !strings.Contains(", "+a+", ", ", "+e.Method+", ") {
			w.allow[e.Path] = a + ", " + e.Method
		}
	}
	return w
}

// endpoints are the routes served, the token endpoint once.
func (w *wire) endpoints() []dialect.Endpoint {
	es := []dialect.Endpoint{w.m.Login, w.m.Refresh, w.m.Logout, w.m.Me, w.m.Profile}
	if w.m.TokenEndpoint() {
		es = es[1:]
	}
	return es
}

// addUser places the user object whose first name is at firstName.
func addUser(sh *shape, firstName string) {
	if !dialect.Has(firstName) {
		return
	}
	sh.add(dialect.Sibling(firstName, "id"), slotUserID)
	sh.add(dialect.Sibling(firstName, "email"), slotUserEmail)
	sh.add(firstName, slotUserFirst)
	sh.add(dialect.Sibling(firstName, "lastName"), slotUserLast)
}

// wrongEnvelope is where BreakWrongEnvelope puts a token value: one
// object up from its place ("data.authorization.access_token" becomes
// "data.access_token"), or under "data" when it is at the top level.
func wrongEnvelope(p string) string {
	if !dialect.Has(p) {
		return p
	}
	keys := strings.Split(p, ".")
	if len(keys) == 1 {
		return "data." + p
	}
	return strings.Join(append(keys[:len(keys)-2:len(keys)-2], keys[len(keys)-1]), ".")
}

// userSlots fills the user object's slots.
func (v *slots) user(u *userView) {
	if u == nil {
		return
	}
	v[slotUserID] = textValue(u.ID)
	v[slotUserEmail] = textValue(u.Email)
	v[slotUserFirst] = textValue(u.FirstName)
	v[slotUserLast] = textValue(u.LastName)
}

// bodyReader reads named string fields of a JSON or form body.
type bodyReader struct {
	form  bool
	names []string
	// typ is, for JSON, a struct of *string fields tagged with the names:
	// encoding/json decodes it as fast as a declared struct, with the same
	// rules (a null or a missing field stays nil, another type is an error).
	typ reflect.Type
}

func newBodyReader(kind string, names ...string) *bodyReader {
	r := &bodyReader{form: kind == dialect.BodyForm, names: names}
	fields := make([]reflect.StructField, len(names))
	for i, name := range names {
		fields[i] = reflect.StructField{
			Name: fmt.Sprintf("F%d", i), Type: reflect.TypeFor[*string](),
			Tag: reflect.StructTag(`json:"` + name + `"`),
		}
	}
	r.typ = reflect.StructOf(fields)
	return r
}

// read returns the fields' values in the order of names, nil for a field
// that is missing (or null).
func (r *bodyReader) read(c *call) ([]*string, error) {
	out := make([]*string, len(r.names))
	if r.form {
		form, err := c.formBody()
		if err != nil {
			return nil, err
		}
		for i, name := range r.names {
			if vs, ok := form[name]; ok {
				out[i] = &vs[0]
			}
		}
		return out, nil
	}
	v := reflect.New(r.typ)
	if err := decodeObject(c.body, v.Interface()); err != nil {
		return nil, err
	}
	for i := range out {
		out[i] = v.Elem().Field(i).Interface().(*string)
	}
	return out, nil
}

// formBody parses the request's body as a form, once: the Content-Type must
// say so, and no parameter may appear twice (RFC 6749 §3.1).
func (c *call) formBody() (url.Values, error) {
	if c.form == nil && c.formErr == nil {
		c.form, c.formErr = parseForm(c.r.Header.Get("Content-Type"), c.body)
	}
	return c.form, c.formErr
}

func parseForm(contentType string, body []byte) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, fmt.Errorf("the body must be application/x-www-form-urlencoded, not %q", contentType)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errors.New("the body is not a valid form")
	}
	for name, vs := range form {
		if len(vs) > 1 {
			return nil, fmt.Errorf("%s is given more than once", name)
		}
	}
	return form, nil
}
