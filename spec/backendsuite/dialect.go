package backendsuite

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
)

// The requests of the backend suite in the profile's dialect: contract.md
// §1's JSON, or OAuth 2.0 (RFC 6749) with a form-encoded token endpoint.

// encode writes fields as the endpoint's body kind: a JSON object or a form.
func encode(kind string, fields [][2]string) (contentType string, body []byte) {
	if kind == "form" {
		v := url.Values{}
		for _, f := range fields {
			v.Add(f[0], f[1])
		}
		return "application/x-www-form-urlencoded", []byte(v.Encode())
	}
	m := make(map[string]string, len(fields))
	for _, f := range fields {
		m[f[0]] = f[1]
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return "application/json", b
}

func (c *client) oauth2() bool { return c.prof.Backend.Dialect == profile.DialectOAuth2 }

// passwordGrant reports whether login is an RFC 6749 §4.3 password grant
// (an oauth2 backend whose login endpoint takes a form) rather than the JSON
// login of contract.md §1.
func (c *client) passwordGrant() bool {
	return c.oauth2() && c.prof.Backend.Login.Body == "form"
}

func (c *client) clientCredentials() [][2]string {
	var f [][2]string
	if id := c.prof.Backend.ClientID; id != "" {
		f = append(f, [2]string{"client_id", id})
	}
	if s := c.prof.Backend.ClientSecret; s != "" {
		f = append(f, [2]string{"client_secret", s})
	}
	return f
}

// login sends the profile's login request with these credentials.
func (c *client) login(email, password, what string) (*answer, error) {
	e := c.prof.Backend.Login
	var fields [][2]string
	if c.passwordGrant() {
		fields = append([][2]string{{"grant_type", "password"}, {"username", email}, {"password", password}}, c.clientCredentials()...)
	} else {
		fields = [][2]string{{c.prof.Backend.LoginFields.Email, email}, {c.prof.Backend.LoginFields.Password, password}}
	}
	ct, body := encode(e.Body, fields)
	return c.send(request{method: e.Method, path: e.Path, contentType: ct, body: body, what: what})
}

// refreshFields are the fields of a refresh request presenting token in the
// profile's dialect.
func (c *client) refreshFields(token string) [][2]string {
	name := c.prof.Backend.Fields.RefreshToken
	if c.oauth2() {
		return append([][2]string{{"grant_type", "refresh_token"}, {name, token}}, c.clientCredentials()...)
	}
	return [][2]string{{name, token}}
}

// refresh presents a refresh token in the profile's dialect.
func (c *client) refresh(token, what string) (*answer, error) {
	ct, body := encode(c.prof.Backend.Refresh.Body, c.refreshFields(token))
	return c.refreshRaw(ct, body, what)
}

// refreshRaw sends any body to the refresh endpoint, for malformed requests.
func (c *client) refreshRaw(contentType string, body []byte, what string) (*answer, error) {
	e := c.prof.Backend.Refresh
	return c.send(request{method: e.Method, path: e.Path, contentType: contentType, body: body, what: what})
}

// logout presents a refresh token to the logout endpoint.
func (c *client) logout(token, what string) (*answer, error) {
	e := c.prof.Backend.Logout
	fields := [][2]string{{c.prof.Backend.Fields.RefreshToken, token}}
	if c.oauth2() && e.Body == "form" {
		fields = append(fields, c.clientCredentials()...)
	}
	ct, body := encode(e.Body, fields)
	return c.send(request{method: e.Method, path: e.Path, contentType: ct, body: body, what: what})
}

// me calls the protected resource with an access token.
func (c *client) me(access, what string) (*answer, error) {
	e := c.prof.Backend.Me
	return c.send(request{method: e.Method, path: e.Path, bearer: access, what: what})
}

// tokenSet are the tokens one token answer carried.
type tokenSet struct {
	Access  string
	Refresh string
	// ExpiresIn is the access token's lifetime in seconds, when the answer says it.
	ExpiresIn    float64
	HasExpiresIn bool
}

// tokens reads the tokens of a successful login or refresh answer at the
// profile's paths. The error says what is missing and what was received.
func (c *client) tokens(a *answer) (tokenSet, error) {
	p := c.prof.Backend.Paths
	access, refresh, expires := p.AccessToken, p.RefreshToken, p.ExpiresIn
	var t tokenSet
	var ok bool
	if a.Doc == nil {
		return t, fmt.Errorf("the body is not JSON: %s", a)
	}
	if t.Access, ok = a.str(access); !ok {
		return t, fmt.Errorf("no access token (a non-empty string) at %q: %s", access, a)
	}
	if t.Refresh, ok = a.str(refresh); !ok {
		return t, fmt.Errorf("no refresh token (a non-empty string) at %q: %s", refresh, a)
	}
	if v, ok := a.lookup(expires); ok {
		if n, isNum := v.(float64); isNum {
			t.ExpiresIn, t.HasExpiresIn = n, true
		}
	}
	return t, nil
}

// loginTokens reads the tokens of a login answer. An oauth2 backend with a
// JSON login (not a password grant) answers its login in the JSON dialect's
// envelope, so when the profile's (oauth2) paths find nothing there, the
// JSON dialect's paths of contract.md §1 are tried.
func (c *client) loginTokens(a *answer) (tokenSet, error) {
	t, err := c.tokens(a)
	if err == nil || !c.oauth2() || c.passwordGrant() {
		return t, err
	}
	jsonDialect := *c
	prof := *c.prof
	prof.Backend.Paths = profile.Default().Backend.Paths
	jsonDialect.prof = &prof
	if t2, err2 := jsonDialect.tokens(a); err2 == nil {
		return t2, nil
	}
	return t, err
}

// familyOf returns the fake backend's family of an issued token.
func (c *client) familyOf(token string) (control.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	all, err := c.control.Tokens(ctx)
	if err != nil {
		return control.Token{}, fmt.Errorf("reading the fake backend's tokens: %w", err)
	}
	for _, t := range all {
		if t.Value == token {
			return t, nil
		}
	}
	return control.Token{}, fmt.Errorf("the fake backend's control API does not know the token %s", control.Fingerprint(token))
}

// randomToken returns a token-shaped random string no backend issued.
func randomToken(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return prefix + hex.EncodeToString(b)
}
