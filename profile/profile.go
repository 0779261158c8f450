// Package profile reads target profiles: YAML (or JSON) files that map every
// role of contract.md §2 (the proxy) and §1 (the backend) to a target's own
// routes, methods, body shapes, field names and credentials, and say how to
// start the target. See contract.md §3 and docs/profiles.md.
//
// Without a profile the defaults of contract.md apply (Default). Unknown keys
// are an error, so a misspelt key is reported instead of silently ignored.
package profile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/refreshspec/refreshspec/dialect"
)

// Profile is one target's mapping of the contract's roles.
type Profile struct {
	Name        string      `json:"name,omitempty"`
	Target      Target      `json:"target,omitempty"`
	Credentials Credentials `json:"credentials,omitempty"`
	Proxy       Proxy       `json:"proxy,omitempty"`
	Backend     Backend     `json:"backend,omitempty"`
	// Repeat is how many rounds the proxy suite's race scenarios run
	// (P7.1, P7.4), 1 to MaxRepeat; 0 leaves the suite's default (3).
	Repeat int `json:"repeat,omitempty"`
	// Accept is the run's baseline: failures that do not fail it, each
	// with the reason (see Acceptance). `refreshspec proxy --accept FILE`
	// replaces it.
	Accept []Acceptance `json:"accept,omitempty"`
}

// MaxRepeat bounds Profile.Repeat: each round of P7.1 holds a few dozen
// connections to the target for two seconds.
const MaxRepeat = 100

// Target says how to reach or start the target under test.
type Target struct {
	// URL of a target that is already running. Mutually exclusive with
	// Command and Image. A comma-separated list names several instances of
	// one deployment (P7.4 spreads a session over them); the first serves
	// the other scenarios.
	URL string `json:"url,omitempty"`
	// Command is a shell command that starts the target; it gets the
	// variables of contract.md §2 (BACKEND_URL, PORT, SESSION_SECRET,
	// COOKIE_SECURE) and BACKEND_TIMEOUT in its environment.
	Command string `json:"command,omitempty"`
	// Dir is the working directory of Command, relative to the profile file.
	Dir string `json:"dir,omitempty"`
	// Image is a container image started with the same variables.
	Image string `json:"image,omitempty"`
	// Env adds variables to the target's environment.
	Env map[string]string `json:"env,omitempty"`
	// EnvNames renames the variables of contract.md §2 for targets that read others.
	EnvNames EnvNames `json:"env_names,omitempty"`
	// ReadyPath is requested until it answers (any status below 500) to know
	// the target is up; it defaults to the login page's path, which every
	// target serves without a session.
	ReadyPath string `json:"ready_path,omitempty"`
	// StartTimeout bounds the wait for ReadyPath.
	StartTimeout dialect.Duration `json:"start_timeout,omitempty"`
	// BackendTimeout is how long the target waits for the backend before it
	// gives up; the suite's timeout scenario (P6.2) waits a little longer.
	BackendTimeout dialect.Duration `json:"backend_timeout,omitempty"`
	// Instances is how many copies of Command or Image the suite starts,
	// each on its own port with the same SESSION_SECRET and Env (a shared
	// store's URL goes in Env): P7.4 spreads a session over them, the other
	// scenarios use the first. Default 1, at most MaxInstances.
	Instances int `json:"instances,omitempty"`
	// BackendTimeoutFormat is how BACKEND_TIMEOUT is written for the
	// target: a Go duration ("2s", the default), whole seconds ("2") or
	// whole milliseconds ("2000"). A Node app that reads it with parseInt
	// would take "2s" for 2 ms.
	BackendTimeoutFormat TimeoutFormat `json:"backend_timeout_format,omitempty"`
	// ForwardedProto is the X-Forwarded-Proto header every request of the
	// suite carries while the target runs with COOKIE_SECURE on, the way a
	// TLS-terminating load balancer talks to it over plain HTTP: "https"
	// (the default) or "none" to send no such header.
	ForwardedProto string `json:"forwarded_proto,omitempty"`
}

// MaxInstances bounds Target.Instances: enough for any load balancer's
// spread, few enough for one machine.
const MaxInstances = 16

// URLs are the instances' URLs that Target.URL lists, trimmed; nil when it
// is empty.
func (t Target) URLs() []string {
	if strings.TrimSpace(t.URL) == "" {
		return nil
	}
	var out []string
	for _, u := range strings.Split(t.URL, ",") {
		out = append(out, strings.TrimSpace(u))
	}
	return out
}

// EnvNames renames the environment variables of contract.md §2.
type EnvNames struct {
	BackendURL string `json:"backend_url,omitempty"`
	Port       string `json:"port,omitempty"`
	// SessionSecret is "none" for a target whose cookie does not depend on
	// a secret at all (a random session id, as in Go's scs): the suite then
	// passes no secret, and the scenarios that change it (P8.2, P8.3) are
	// skipped with that reason.
	SessionSecret string `json:"session_secret,omitempty"`
	CookieSecure  string `json:"cookie_secure,omitempty"`
	// BackendTimeout names the variable that carries Target.BackendTimeout.
	BackendTimeout string `json:"backend_timeout,omitempty"`
}

// Credentials are a user the backend knows.
type Credentials struct {
	Email     string `json:"email,omitempty"`
	Password  string `json:"password,omitempty"`
	FirstName string `json:"first_name,omitempty"`
}

// Proxy maps the routes of contract.md §2.
type Proxy struct {
	// Session says what the session cookie holds: SessionSealed (the
	// default) or SessionServer. It decides how the suite judges that the
	// client holds a rotated session.
	Session SessionModel `json:"session,omitempty"`
	// CookieName names the session cookie: one name, or several, or
	// path.Match patterns ("*.session-token"), separated by commas or
	// spaces (CookieNames). The __Secure- and __Host- prefixes need not be
	// spelled, and the companions of a name (NAME.sig, chunks NAME.0 and
	// NAME_0, ...) are part of the session by themselves. Empty means "the
	// cookie the login response sets", with its companions.
	CookieName string `json:"cookie_name,omitempty"`
	// SessionLifetime declares how long the app keeps a session when that is
	// shorter than the backend's refresh token lifetime (a session ended
	// after a day by design): P1.6 then owes the cookie only this long. 0
	// (the default) says the session lives as long as its refresh token.
	SessionLifetime dialect.Duration `json:"session_lifetime,omitempty"`
	// CSRF says where the login page carries a CSRF token and how the
	// login, logout and update_profile requests send it back; empty for a
	// target without CSRF protection.
	CSRF      CSRF             `json:"csrf,omitempty"`
	LoginPage dialect.Endpoint `json:"login_page,omitempty"`
	Login     dialect.Endpoint `json:"login,omitempty"`
	// LoginFields name the login body's fields.
	LoginFields dialect.LoginFields `json:"login_fields,omitempty"`
	ProfilePage dialect.Endpoint    `json:"profile_page,omitempty"`
	Me          dialect.Endpoint    `json:"me,omitempty"`
	// UpdateProfile forwards its JSON body to the backend's profile route.
	UpdateProfile dialect.Endpoint `json:"update_profile,omitempty"`
	Logout        dialect.Endpoint `json:"logout,omitempty"`
	// SessionEndpoints are GET paths that describe the signed-in session
	// (/api/auth/session), which P8.4's scan fetches after a login and
	// after a refresh. Left out, the common ones (DefaultSessionEndpoints),
	// those that exist.
	SessionEndpoints []string `json:"session_endpoints,omitempty"`
	// Selectors are the page elements the browser scenarios (W) use.
	Selectors Selectors `json:"selectors,omitempty"`
}

// DefaultSessionEndpoints are the session endpoints P8.4 fetches when the
// profile lists none: Auth.js's and its copies' (/api/auth/session), and
// the same without /api. Those that answer 404 or 405 do not exist.
var DefaultSessionEndpoints = []string{"/api/auth/session", "/auth/session"}

// SessionEndpointsOrDefault are the profile's session endpoints, or the
// common ones; listed says the profile gave them.
func (p Proxy) SessionEndpointsOrDefault() (paths []string, listed bool) {
	if len(p.SessionEndpoints) > 0 {
		return p.SessionEndpoints, true
	}
	return DefaultSessionEndpoints, false
}

// Selectors are CSS selectors of the page elements of contract.md §2.
type Selectors struct {
	FirstName string `json:"first_name,omitempty"`
	Reload    string `json:"reload,omitempty"`
	Logout    string `json:"logout,omitempty"`
	Email     string `json:"email,omitempty"`
	Password  string `json:"password,omitempty"`
	Submit    string `json:"submit,omitempty"`
}

// Backend is the backend's section: where the backend suite finds the
// backend under test, and the Mapping of contract.md §1's routes, fields and
// answers, whose keys sit directly in the section (backend.refresh.path).
// The fake backend of the proxy suite speaks the Mapping too.
type Backend struct {
	URL string `json:"url,omitempty"`
	// ControlURL is a fake backend's control API: with it, checks that need
	// time to pass move the backend's clock instead of being skipped.
	ControlURL string `json:"control_url,omitempty"`
	dialect.Mapping
	// ShortAccessTTL says the backend issues access tokens that expire within
	// this duration, so the suite may wait for expiry instead of skipping.
	ShortAccessTTL dialect.Duration `json:"short_access_ttl,omitempty"`
	// RateLimitBurst enables B2.8 with this many invalid refresh attempts; 0 skips it.
	RateLimitBurst int `json:"rate_limit_burst,omitempty"`
}

// Default is the profile of contract.md as written: the reference proxy's.
func Default() *Profile {
	p := &Profile{}
	p.applyDefaults()
	return p
}

// Load reads the profile file at path, applies the defaults to every key it
// leaves out, and checks it. Errors name the file and the problem.
func Load(path string) (*Profile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", path, err)
	}
	p, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", path, err)
	}
	return p, nil
}

// Parse reads a profile from YAML or JSON.
func Parse(raw []byte) (*Profile, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errors.New("empty profile")
	}
	var p Profile
	if err := decode(raw, &p, ""); err != nil {
		return nil, err
	}
	if err := checkWrittenZeros(raw); err != nil {
		return nil, err
	}
	p.applyDefaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

func cleanYAMLError(err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error unmarshaling JSON: while decoding JSON: ")
	msg = strings.ReplaceAll(msg, "json: unknown field", "unknown key")
	return errors.New(msg)
}

// Validate reports the first inconsistency of a profile that defaults were applied to.
func (p *Profile) Validate() error {
	n := 0
	for _, s := range []string{p.Target.URL, p.Target.Command, p.Target.Image} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return errors.New("target: give only one of url, command and image")
	}
	for _, u := range p.Target.URLs() {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return fmt.Errorf("target.url: %q is not an http(s) URL", u)
		}
	}
	switch urls := p.Target.URLs(); {
	case p.Target.Instances < 1 || p.Target.Instances > MaxInstances:
		return fmt.Errorf("target.instances: %d is outside 1..%d", p.Target.Instances, MaxInstances)
	case len(urls) > 0 && p.Target.Instances != 1 && p.Target.Instances != len(urls):
		return fmt.Errorf("target.instances: %d, but target.url lists %d URLs (the suite starts no instance of a running target: list each one's URL)", p.Target.Instances, len(urls))
	}
	for name, e := range map[string]dialect.Endpoint{
		"proxy.login_page": p.Proxy.LoginPage, "proxy.login": p.Proxy.Login, "proxy.profile_page": p.Proxy.ProfilePage,
		"proxy.me": p.Proxy.Me, "proxy.update_profile": p.Proxy.UpdateProfile, "proxy.logout": p.Proxy.Logout,
	} {
		if !strings.HasPrefix(e.Path, "/") {
			return fmt.Errorf("%s.path: %q must start with /", name, e.Path)
		}
		if e.Body != "" && e.Body != "json" && e.Body != "form" {
			return fmt.Errorf("%s.body: %q is not one of json, form", name, e.Body)
		}
	}
	for i, path := range p.Proxy.SessionEndpoints {
		if !strings.HasPrefix(path, "/") {
			return fmt.Errorf("proxy.session_endpoints[%d]: %q must start with /", i, path)
		}
	}
	if err := p.Backend.Mapping.Validate(); err != nil {
		return dialect.Under("backend", err)
	}
	if p.Repeat < 0 || p.Repeat > MaxRepeat {
		return fmt.Errorf("repeat: %d is outside 1..%d", p.Repeat, MaxRepeat)
	}
	if p.Target.StartTimeout <= 0 {
		return fmt.Errorf("target.start_timeout: %s is not positive", p.Target.StartTimeout.Std())
	}
	if p.Proxy.SessionLifetime < 0 {
		return fmt.Errorf("proxy.session_lifetime: %s is negative (0s, or leaving it out, says a session lives as long as its refresh token)", p.Proxy.SessionLifetime.Std())
	}
	if p.Backend.ShortAccessTTL < 0 {
		return fmt.Errorf("backend.short_access_ttl: %s is negative (0s, or leaving it out, says the access tokens do not expire soon)", p.Backend.ShortAccessTTL.Std())
	}
	if p.Backend.RateLimitBurst < 0 || p.Backend.RateLimitBurst > 1000 {
		return fmt.Errorf("backend.rate_limit_burst: %d is outside 0..1000", p.Backend.RateLimitBurst)
	}
	return p.validateSuiteKeys()
}

func (p *Profile) applyDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	if p.Target.StartTimeout == 0 {
		p.Target.StartTimeout = dialect.Duration(60 * time.Second)
	}
	if p.Target.BackendTimeout == 0 {
		p.Target.BackendTimeout = dialect.Duration(2 * time.Second)
	}
	if p.Target.Instances == 0 {
		p.Target.Instances = 1
	}
	def(&p.Target.EnvNames.BackendURL, "BACKEND_URL")
	def(&p.Target.EnvNames.Port, "PORT")
	def(&p.Target.EnvNames.SessionSecret, "SESSION_SECRET")
	def(&p.Target.EnvNames.CookieSecure, "COOKIE_SECURE")
	def(&p.Target.EnvNames.BackendTimeout, "BACKEND_TIMEOUT")
	if p.Target.BackendTimeoutFormat == "" {
		p.Target.BackendTimeoutFormat = TimeoutGo
	}
	def(&p.Target.ForwardedProto, ForwardedHTTPS)
	if p.Proxy.Session == "" {
		p.Proxy.Session = SessionSealed
	}

	def(&p.Credentials.Email, "alice@example.com")
	def(&p.Credentials.Password, "correct horse")
	def(&p.Credentials.FirstName, "Alice")

	p.Proxy.LoginPage.Default("GET", "/login", "")
	def(&p.Target.ReadyPath, p.Proxy.LoginPage.Path)
	p.Proxy.Login.Default("POST", "/login", "json")
	def(&p.Proxy.LoginFields.Email, "email")
	def(&p.Proxy.LoginFields.Password, "password")
	p.Proxy.ProfilePage.Default("GET", "/profile", "")
	p.Proxy.Me.Default("GET", "/api/me", "")
	p.Proxy.UpdateProfile.Default("PATCH", "/api/profile", "json")
	p.Proxy.Logout.Default("POST", "/logout", "")
	def(&p.Proxy.Selectors.FirstName, "#first-name")
	def(&p.Proxy.Selectors.Reload, "#reload")
	def(&p.Proxy.Selectors.Logout, "#logout")
	def(&p.Proxy.Selectors.Email, "input[name=email]")
	def(&p.Proxy.Selectors.Password, "input[name=password]")
	def(&p.Proxy.Selectors.Submit, "form [type=submit]")

	p.Backend.Mapping.ApplyDefaults()
}

// Lookup follows a dotted path ("data.authorization.access_token") through
// decoded JSON and returns the value there.
func Lookup(doc any, path string) (any, bool) { return dialect.Lookup(doc, path) }

// LookupString is Lookup for a non-empty string value.
func LookupString(doc any, path string) (string, bool) { return dialect.LookupString(doc, path) }

// checkWrittenZeros refuses a zero written for a key whose zero, once
// decoded, means "left out, take the default": `repeat: 0` would run the
// default 3 rounds where `--repeat 0` is refused, and
// `target.backend_timeout: 0s` would become 2s. raw is the profile as
// written, in which such a key is present. The keys whose zero means something of
// its own (backend.rate_limit_burst: 0 skips B2.8, backend.short_access_ttl
// and backend.reuse_leeway: 0s is none) take it as written.
func checkWrittenZeros(raw []byte) error {
	var written struct {
		Repeat *int `json:"repeat"`
		Target *struct {
			Instances      *int              `json:"instances"`
			StartTimeout   *dialect.Duration `json:"start_timeout"`
			BackendTimeout *dialect.Duration `json:"backend_timeout"`
		} `json:"target"`
	}
	if err := yaml.Unmarshal(raw, &written); err != nil {
		return nil // the profile's own decoding reported it
	}
	if written.Repeat != nil && *written.Repeat == 0 {
		return fmt.Errorf("repeat: 0 is outside 1..%d", MaxRepeat)
	}
	t := written.Target
	switch {
	case t == nil:
	case t.Instances != nil && *t.Instances == 0:
		return fmt.Errorf("target.instances: 0 is outside 1..%d", MaxInstances)
	case t.StartTimeout != nil && *t.StartTimeout == 0:
		return errors.New("target.start_timeout: 0s is not positive")
	case t.BackendTimeout != nil && *t.BackendTimeout == 0:
		return errors.New("target.backend_timeout: 0s is not positive")
	}
	return nil
}
