package proxysuite

import (
	"net/http"
	"sync"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/internal/sessioncookie"
	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/target"
)

// Config configures the proxy specs. It is read when the specs run, not when
// they are registered, so a suite may fill it in BeforeSuite.
type Config struct {
	// Target is the proxy under test.
	Target target.Target
	// Control is the control API of the fake backend the target talks to.
	Control *control.Client
	// BackendURL is the fake backend's API URL as the suite reaches it, for
	// the direct calls that P9.2 compares against.
	BackendURL string
	// BackendMapping is the dialect the fake backend at BackendURL speaks
	// (package dialect), which the suite's own calls to it (P9.2's) speak
	// too; the zero value is contract.md §1. `refreshspec proxy` sets it to
	// the profile's backend mapping, which its fake backend serves.
	BackendMapping dialect.Mapping
	// Profile maps the contract's roles to the target's routes; nil means
	// profile.Default().
	Profile *profile.Profile
	// Strict makes SHOULD failures fail the run.
	Strict bool
	// RequestTimeout bounds every request the suite makes (default 30 s).
	RequestTimeout time.Duration
	// Instances are every instance of the target, Target first, sharing
	// its SESSION_SECRET and whatever store it needs (P7.4: the session's
	// requests spread over them). Fewer than two, and P7.4 is skipped with
	// the reason; the other scenarios use Target alone.
	Instances []target.Target
	// Repeat is how many rounds the race scenarios run (P7.1, P7.4), since
	// a race a target loses now and then passes a single round by luck; 0
	// means DefaultRepeat. P7.1's rounds overlap in time, so more of them
	// cost little there.
	Repeat int

	// preflight is the outcome of the pre-flight login, once it ran
	// (Preflight); the specs run it themselves when nobody did.
	preflight struct {
		sync.Mutex
		done bool
		err  error
	}
}

// DefaultRepeat is how many rounds the race scenarios run when
// Config.Repeat is not set.
const DefaultRepeat = 3

// instances are the instances P7.4 spreads a session over: Instances, or
// Target alone.
func (c *Config) instances() []target.Target {
	if len(c.Instances) > 0 {
		return c.Instances
	}
	return []target.Target{c.Target}
}

// repeat is Config.Repeat, or DefaultRepeat when it is not set.
func (c *Config) repeat() int {
	if c.Repeat < 1 {
		return DefaultRepeat
	}
	return c.Repeat
}

// profileOrDefault is the profile the specs use: Config.Profile, or
// profile.Default() when it is nil. The browser suite reads the same.
func (c *Config) profileOrDefault() *profile.Profile {
	if c.Profile == nil {
		return profile.Default()
	}
	return c.Profile
}

// backendMapping is BackendMapping with its defaults applied.
func (c *Config) backendMapping() dialect.Mapping {
	m := c.BackendMapping
	m.ApplyDefaults()
	return m
}

// targetSecure reports whether the target runs with COOKIE_SECURE on, as
// far as the suite knows (sessioncookie.Secure).
func (c *Config) targetSecure() bool { return sessioncookie.Secure(c.Target.Env()) }

// forwardedHeaders are the headers every request to the target carries now
// (sessioncookie.ForwardedHeaders).
func (c *Config) forwardedHeaders() http.Header {
	return sessioncookie.ForwardedHeaders(c.Target.Env(), c.profileOrDefault())
}

// requestTimeout bounds one request of the suite.
func (c *Config) requestTimeout() time.Duration {
	return harness.OrDefault(c.RequestTimeout, 30*time.Second)
}
