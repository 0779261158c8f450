package dialect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The request builders below speak a mapping the way a proxy does, so that
// every client of a backend (the reference proxy, the specs' direct calls,
// the benchmarks, the fake backend's tests) sends the same bytes for it.

// field is one request parameter, in the order it is written.
type field struct{ name, value string }

// NewLoginRequest logs a user in: the json dialect's login body, or the
// oauth2 dialect's password grant (RFC 6749 §4.3.2) with the mapping's
// scope and client authentication. base is the backend's base URL. An
// oauth2 backend whose login is a route of its own (see PasswordGrant) gets
// the json dialect's login body there.
func (m *Mapping) NewLoginRequest(ctx context.Context, base, email, password string) (*http.Request, error) {
	fields := []field{{m.LoginFields.Email, email}, {m.LoginFields.Password, password}}
	grant := m.PasswordGrant()
	if grant {
		fields = append([]field{{"grant_type", "password"}}, fields...)
		if m.Scope != "" {
			fields = append(fields, field{"scope", m.Scope})
		}
	}
	return m.newRequest(ctx, base, m.Login, fields, grant)
}

// NewRefreshRequest presents a refresh token: the json dialect's refresh
// body, or the oauth2 dialect's refresh_token grant (RFC 6749 §6).
func (m *Mapping) NewRefreshRequest(ctx context.Context, base, refreshToken string) (*http.Request, error) {
	fields := []field{{m.Fields.RefreshToken, refreshToken}}
	if m.IsOAuth2() {
		fields = append([]field{{"grant_type", "refresh_token"}}, fields...)
	}
	return m.newRequest(ctx, base, m.Refresh, fields, m.IsOAuth2())
}

// NewLogoutRequest ends the session of a refresh token: the json dialect's
// logout body, or an RFC 7009 revocation of the refresh token.
func (m *Mapping) NewLogoutRequest(ctx context.Context, base, refreshToken string) (*http.Request, error) {
	if m.IsOAuth2() {
		return m.newRequest(ctx, base, m.Logout, []field{{"token", refreshToken}, {"token_type_hint", "refresh_token"}}, true)
	}
	return m.newRequest(ctx, base, m.Logout, []field{{m.Fields.RefreshToken, refreshToken}}, false)
}

// NewMeRequest calls the protected resource with an access token.
func (m *Mapping) NewMeRequest(ctx context.Context, base, accessToken string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, m.Me.Method, strings.TrimRight(base, "/")+m.Me.Path, nil)
	if err != nil {
		return nil, fmt.Errorf("dialect: me request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	return req, nil
}

// newRequest encodes fields as e's body kind, adding the OAuth 2.0 client's
// authentication when client is set.
func (m *Mapping) newRequest(ctx context.Context, base string, e Endpoint, fields []field, client bool) (*http.Request, error) {
	if client {
		fields = append(fields, m.clientParams()...)
	}
	contentType, body, err := encode(e.Body, fields)
	if err != nil {
		return nil, fmt.Errorf("dialect: %s request: %w", e, err)
	}
	req, err := http.NewRequestWithContext(ctx, e.Method, strings.TrimRight(base, "/")+e.Path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("dialect: %s request: %w", e, err)
	}
	req.Header.Set("Content-Type", contentType)
	if client {
		m.SetClientBasic(req)
	}
	return req, nil
}

// clientBasic reports whether the client authenticates with HTTP Basic.
func (m *Mapping) clientBasic() bool {
	return m.IsOAuth2() && m.ClientID != "" && m.ClientSecret != "" && m.ClientAuth == ClientAuthBasic
}

// SetClientBasic puts the OAuth 2.0 client's credentials on req as HTTP
// Basic (client_secret_basic) when the mapping authenticates the client that
// way, and reports whether it did. The request builders call it; a caller
// that writes a body of its own (a malformed one, to see it refused) calls it
// and adds ClientParams to its form.
func (m *Mapping) SetClientBasic(req *http.Request) bool {
	if !m.clientBasic() {
		return false
	}
	// RFC 6749 §2.3.1: both are form-encoded before Basic encodes them.
	req.SetBasicAuth(url.QueryEscape(m.ClientID), url.QueryEscape(m.ClientSecret))
	return true
}

// ClientParams are the body parameters that authenticate the OAuth 2.0
// client: client_id and client_secret for client_secret_post, a public
// client's client_id alone (RFC 6749 §3.2.1), and none for a client that
// authenticates with HTTP Basic or a mapping without a client.
func (m *Mapping) ClientParams() url.Values {
	v := url.Values{}
	for _, p := range m.clientParams() {
		v.Set(p.name, p.value)
	}
	return v
}

func (m *Mapping) clientParams() []field {
	if !m.IsOAuth2() || m.ClientID == "" || m.clientBasic() {
		return nil
	}
	fields := []field{{"client_id", m.ClientID}}
	if m.ClientSecret != "" {
		fields = append(fields, field{"client_secret", m.ClientSecret})
	}
	return fields
}

// encode writes fields as a form or as a JSON object of strings.
func encode(kind string, fields []field) (contentType string, body []byte, err error) {
	if kind == BodyForm {
		var b strings.Builder
		for i, f := range fields {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(f.name))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(f.value))
		}
		return "application/x-www-form-urlencoded", []byte(b.String()), nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(f.name)
		if err != nil {
			return "", nil, err
		}
		value, err := json.Marshal(f.value)
		if err != nil {
			return "", nil, err
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteByte('}')
	return "application/json", b.Bytes(), nil
}

// Tokens are what a login or refresh answer carries.
type Tokens struct {
	Access, Refresh string
	// TokenType is "" when the mapping's answers carry none.
	TokenType string
	// ExpiresIn is the access token's lifetime in seconds, when HasExpiresIn.
	ExpiresIn    float64
	HasExpiresIn bool
	// Scope is the granted scope of an oauth2 answer, when it says.
	Scope string
	// FirstName is the user's first name, when the login answer carries it.
	FirstName string
}

// ReadTokens reads a successful login or refresh answer at the mapping's
// paths. The error says which value is missing and where it was looked for.
func (m *Mapping) ReadTokens(body []byte) (Tokens, error) {
	var t Tokens
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return t, fmt.Errorf("dialect: the token answer is not JSON: %w", err)
	}
	var ok bool
	if t.Access, ok = LookupString(doc, m.Paths.AccessToken); !ok {
		return t, fmt.Errorf("dialect: no access token (a non-empty string) at %q", m.Paths.AccessToken)
	}
	if t.Refresh, ok = LookupString(doc, m.Paths.RefreshToken); !ok {
		return t, fmt.Errorf("dialect: no refresh token (a non-empty string) at %q", m.Paths.RefreshToken)
	}
	if Has(m.Paths.TokenType) {
		t.TokenType, _ = LookupString(doc, m.Paths.TokenType)
	}
	if Has(m.Paths.ExpiresIn) {
		v, _ := Lookup(doc, m.Paths.ExpiresIn)
		t.ExpiresIn, t.HasExpiresIn = v.(float64)
	}
	if m.IsOAuth2() {
		t.Scope, _ = LookupString(doc, ScopePath(m.Paths.AccessToken))
	}
	if Has(m.Paths.FirstName) {
		t.FirstName, _ = LookupString(doc, m.Paths.FirstName)
	}
	return t, nil
}

// ReadMe reads the user's first name from the protected resource's answer.
func (m *Mapping) ReadMe(body []byte) (firstName string, err error) {
	if !Has(m.Paths.MeFirstName) {
		return "", errors.New("dialect: the mapping's me answer carries no first name (paths.me_first_name is none)")
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("dialect: the me answer is not JSON: %w", err)
	}
	name, ok := LookupString(doc, m.Paths.MeFirstName)
	if !ok {
		return "", fmt.Errorf("dialect: no first name (a non-empty string) at %q", m.Paths.MeFirstName)
	}
	return name, nil
}

// ReadError reads the error code and message of a failure answer; both are
// "" when the body does not carry them.
func (m *Mapping) ReadError(body []byte) (code, message string) {
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return "", ""
	}
	code, _ = LookupString(doc, m.Errors.Code)
	if Has(m.Errors.Message) {
		message, _ = LookupString(doc, m.Errors.Message)
	}
	return code, message
}

// Lookup follows a dotted path ("data.authorization.access_token") through
// decoded JSON and returns the value there.
func Lookup(doc any, path string) (any, bool) {
	cur := doc
	for key := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[key]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// LookupString is Lookup for a non-empty string value.
func LookupString(doc any, path string) (string, bool) {
	v, ok := Lookup(doc, path)
	s, isString := v.(string)
	return s, ok && isString && s != ""
}
