package dialect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Name is the refresh protocol a backend speaks.
type Name string

// The two dialects.
const (
	// JSON is contract.md §1: JSON bodies ({"refresh_token": ...} to
	// /auth/refresh), tokens under data.authorization, a success flag in
	// every answer; a mapping may rename each of these.
	JSON Name = "json"
	// OAuth2 is RFC 6749: grant_type=password and grant_type=refresh_token
	// form-encoded to one token endpoint, tokens at the top level, RFC 6749
	// §5.2 errors, RFC 7009 revocation for logout.
	OAuth2 Name = "oauth2"
)

// The kinds of request body an Endpoint takes.
const (
	BodyJSON = "json"
	BodyForm = "form"
)

// None is the value of an optional path that a backend does not send
// (paths.expires_in, paths.token_type, paths.first_name,
// paths.me_first_name, errors.message, success_flag). An empty value means
// "the default" instead, so None survives being written back and read again.
const None = "none"

// ClientAuth is how an OAuth 2.0 client authenticates at the token and
// revocation endpoints.
type ClientAuth string

// The two methods of RFC 6749 §2.3.1.
const (
	// ClientAuthBasic sends client_id and client_secret as HTTP Basic
	// credentials (client_secret_basic), the method every server must support.
	ClientAuthBasic ClientAuth = "basic"
	// ClientAuthBody sends them as client_id and client_secret form
	// parameters (client_secret_post).
	ClientAuthBody ClientAuth = "body"
)

// Endpoint is one route of a backend.
type Endpoint struct {
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	// Body is "json" or "form", for routes that take a body.
	Body string `json:"body,omitempty"`
}

// String is "METHOD /path", the way logs and errors name a route.
func (e Endpoint) String() string { return e.Method + " " + e.Path }

// Default fills what e leaves empty and upper-cases its method, so that a
// profile may write "post".
func (e *Endpoint) Default(method, path, body string) {
	e.Method = strings.ToUpper(orDefault(e.Method, method))
	e.Path = orDefault(e.Path, path)
	e.Body = orDefault(e.Body, body)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// LoginFields name the fields of a login body: in the oauth2 dialect, those
// of the password grant (RFC 6749 §4.3.2: username and password).
type LoginFields struct {
	Email    string `json:"email,omitempty"`
	Password string `json:"password,omitempty"`
}

// TokenFields name request fields of the refresh body (and of the logout
// body in the json dialect; RFC 7009 fixes the revocation's field as token).
type TokenFields struct {
	RefreshToken string `json:"refresh_token,omitempty"`
}

// TokenPaths are dotted JSON paths ("data.authorization.access_token") of
// the values in a backend's answers.
type TokenPaths struct {
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	// ExpiresIn is the access token's lifetime in seconds; None if the
	// backend does not say.
	ExpiresIn string `json:"expires_in,omitempty"`
	// TokenType is where "Bearer" is; None if the backend does not say.
	TokenType string `json:"token_type,omitempty"`
	// FirstName is where the login answer carries the user's first name;
	// the user object (id, email, first and last name) is its parent. None
	// when the login answer carries no user, as RFC 6749 token answers do not.
	FirstName string `json:"first_name,omitempty"`
	// MeFirstName is where the protected resource (me) answers the user's
	// first name, its parent being the user object; None if it does not.
	MeFirstName string `json:"me_first_name,omitempty"`
}

// ErrorBody says where a failure answer carries its error code and its
// human-readable message (RFC 6749 §5.2: error and error_description).
type ErrorBody struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// Mapping is how one backend speaks: its dialect, routes, request fields,
// answer paths, error body and OAuth 2.0 client. The zero value, after
// ApplyDefaults, is contract.md §1 as written.
type Mapping struct {
	Dialect Name     `json:"dialect,omitempty"`
	Login   Endpoint `json:"login,omitempty"`
	// LoginFields name the login body's fields.
	LoginFields LoginFields `json:"login_fields,omitempty"`
	Refresh     Endpoint    `json:"refresh,omitempty"`
	// Logout revokes the family of the refresh token it is given: the
	// seed's /auth/logout in the json dialect, the RFC 7009 revocation
	// endpoint in the oauth2 dialect.
	Logout Endpoint `json:"logout,omitempty"`
	// Me is a protected resource that takes Authorization: Bearer and
	// answers the user.
	Me Endpoint `json:"me,omitempty"`
	// Profile takes Bearer and a JSON object of the user's fields to change.
	Profile Endpoint    `json:"profile,omitempty"`
	Fields  TokenFields `json:"fields,omitempty"`
	Paths   TokenPaths  `json:"paths,omitempty"`
	// Errors say where failure answers carry the error code and message.
	Errors ErrorBody `json:"errors,omitempty"`
	// SuccessFlag is the dotted path of the boolean every answer carries
	// (true on success, false on failure), or None.
	SuccessFlag string `json:"success_flag,omitempty"`
	// ClientID and ClientSecret are the OAuth 2.0 client's credentials; the
	// oauth2 dialect sends them to the token and revocation endpoints when
	// ClientID is set (a public client has no secret).
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	// ClientAuth is how the client authenticates (oauth2 only): basic or body.
	ClientAuth ClientAuth `json:"client_auth,omitempty"`
	// Scope is sent with the password grant (oauth2 only), such as
	// offline_access, without which Keycloak, Auth0, Okta and Hydra issue no
	// refresh token.
	Scope string `json:"scope,omitempty"`
	// ReuseLeeway is a reuse interval the backend declares (Auth0's): inside
	// it, a refresh token used once may be presented again and any successor
	// is a correct answer. 0 is none.
	ReuseLeeway Duration `json:"reuse_leeway,omitempty"`
	// Rotation is how the backend answers a used refresh token presented
	// again: a preset named after an identity provider and its knobs
	// (docs/providers.md). Nil is the contract's rotation with ReuseLeeway
	// as its grace period; Rules resolves either.
	Rotation *Rotation `json:"rotation,omitempty"`
}

// Default is the mapping of contract.md §1 as written.
func Default() Mapping {
	var m Mapping
	m.ApplyDefaults()
	return m
}

// ForDialect is the default mapping of dialect d.
func ForDialect(d Name) Mapping {
	m := Mapping{Dialect: d}
	m.ApplyDefaults()
	return m
}

// IsOAuth2 reports whether m speaks the oauth2 dialect.
func (m *Mapping) IsOAuth2() bool { return m.Dialect == OAuth2 }

// TokenEndpoint reports whether login and refresh share one route, told
// apart by grant_type: the oauth2 dialect's token endpoint.
func (m *Mapping) TokenEndpoint() bool {
	return m.IsOAuth2() && m.Login.Method == m.Refresh.Method && m.Login.Path == m.Refresh.Path
}

// PasswordGrant reports whether login is an RFC 6749 §4.3 password grant:
// an oauth2 mapping whose login is the token endpoint, or another route that
// takes a form. An oauth2 backend whose login is a JSON route of its own (a
// JSON login in front of an OAuth 2.0 server) takes the json dialect's login
// body there instead.
func (m *Mapping) PasswordGrant() bool {
	return m.IsOAuth2() && (m.TokenEndpoint() || m.Login.Body == BodyForm)
}

// ApplyDefaults fills every key m leaves empty with its dialect's default.
// The json dialect's defaults are contract.md §1; the oauth2 dialect's are
// an RFC 6749 server's: login and refresh at POST /oauth/token (a login left
// out goes wherever refresh was put), logout at POST /oauth/revoke, form
// bodies, flat answers. It is idempotent.
func (m *Mapping) ApplyDefaults() {
	def := func(s *string, v string) { *s = orDefault(*s, v) }
	if m.Dialect == "" {
		m.Dialect = JSON
	}
	m.Dialect = Name(strings.ToLower(string(m.Dialect)))
	m.Me.Default("GET", "/api/user/me", "")
	m.Profile.Default("PATCH", "/api/user/profile", BodyJSON)
	def(&m.Fields.RefreshToken, "refresh_token")
	def(&m.LoginFields.Password, "password")
	def(&m.Errors.Code, "error")
	if m.IsOAuth2() {
		m.Refresh.Default("POST", "/oauth/token", BodyForm)
		m.Login.Default(m.Refresh.Method, m.Refresh.Path, m.Refresh.Body)
		m.Logout.Default("POST", "/oauth/revoke", BodyForm)
		def(&m.LoginFields.Email, "username")
		def(&m.Paths.AccessToken, "access_token")
		def(&m.Paths.RefreshToken, "refresh_token")
		def(&m.Paths.ExpiresIn, "expires_in")
		def(&m.Paths.FirstName, None)
		def(&m.Paths.MeFirstName, "firstName")
		def(&m.Errors.Message, "error_description")
		def(&m.SuccessFlag, None)
		if m.ClientAuth == "" {
			m.ClientAuth = ClientAuthBasic
		}
	} else {
		m.Login.Default("POST", "/auth/login", BodyJSON)
		m.Refresh.Default("POST", "/auth/refresh", BodyJSON)
		m.Logout.Default("POST", "/auth/logout", BodyJSON)
		def(&m.LoginFields.Email, "email")
		def(&m.Paths.AccessToken, "data.authorization.access_token")
		def(&m.Paths.RefreshToken, "data.authorization.refresh_token")
		def(&m.Paths.ExpiresIn, "data.authorization.expires_in")
		def(&m.Paths.FirstName, "data.user.firstName")
		def(&m.Paths.MeFirstName, "data.firstName")
		def(&m.Errors.Message, "message")
		def(&m.SuccessFlag, "success")
	}
	// The token type sits beside the access token unless said otherwise, as
	// in both dialects' answers.
	def(&m.Paths.TokenType, Sibling(m.Paths.AccessToken, "token_type"))
	m.ClientAuth = ClientAuth(strings.ToLower(string(m.ClientAuth)))
}

// Has reports whether an optional path is sent at all: set and not None.
func Has(path string) bool { return path != "" && path != None }

// Sibling is the dotted path of key beside the last element of path
// ("data.authorization.access_token", "token_type" gives
// "data.authorization.token_type").
func Sibling(path, key string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i+1] + key
	}
	return key
}

// Parent is the dotted path of the object that holds path's last element,
// "" for the top level.
func Parent(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// Leaf is path's last element.
func Leaf(path string) string { return path[strings.LastIndexByte(path, '.')+1:] }

// ParseJSON reads a mapping written as the JSON of a profile's backend
// section's mapping keys (unknown keys are an error), applies the defaults
// and validates it. The fake backend's --mapping-json flag takes it.
func ParseJSON(raw []byte) (Mapping, error) {
	var m Mapping
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Mapping{}, fmt.Errorf("mapping: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Mapping{}, errors.New("mapping: data after the JSON object")
	}
	m.ApplyDefaults()
	if err := m.Validate(); err != nil {
		return Mapping{}, err
	}
	return m, nil
}

// Duration is a time.Duration written as "2s" in profiles and mappings.
type Duration time.Duration

// UnmarshalJSON reads a duration string such as "30s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as \"30s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as \"30s\": %w", err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }
