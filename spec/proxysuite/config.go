package proxysuite

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/harness"
)

// Target is the proxy under test, as the suite sees it: a URL, and when the
// suite started it, a way to start it again with other settings. Package
// spec/target has the targets the suite starts or reaches.
type Target interface {
	// URL is the target's base URL, such as "http://127.0.0.1:8080".
	URL() string
	// Restart stops the target and starts it again with the given variables
	// of contract.md §2 changed (keys are the contract's names:
	// SESSION_SECRET, COOKIE_SECURE); the others keep their values. A target
	// the suite did not start returns ErrNotRestartable, and the scenarios
	// that need a restart (P1.2's Secure check, P8.2, P8.3) are skipped with
	// that reason.
	Restart(ctx context.Context, env map[string]string) error
	// Env returns the variables of contract.md §2 the target runs with now,
	// by the contract's names; nil when the suite did not start it.
	Env() map[string]string
}

// ErrNotRestartable is returned by Target.Restart for a target the suite did
// not start.
var ErrNotRestartable = errors.New("the suite did not start this target, so it cannot restart it with other settings")

// Config configures the proxy specs. It is read when the specs run, not when
// they are registered, so a suite may fill it in BeforeSuite.
type Config struct {
	// Target is the proxy under test.
	Target Target
	// Backend is the control API of the fake backend the target talks to.
	Backend *control.Client
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
	Instances []Target
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
func (c *Config) instances() []Target {
	if len(c.Instances) > 0 {
		return c.Instances
	}
	return []Target{c.Target}
}

// repeat is Config.Repeat, or DefaultRepeat when it is not set.
func (c *Config) repeat() int {
	if c.Repeat < 1 {
		return DefaultRepeat
	}
	return c.Repeat
}

// ProfileOrDefault is the profile the specs use: Config.Profile, or
// profile.Default() when it is nil. The browser suite reads the same.
func (c *Config) ProfileOrDefault() *profile.Profile {
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

// TargetSecure reports whether the target runs with COOKIE_SECURE on, as
// far as the suite knows: it set the variable (a target it started), and not
// to false. A target the suite did not start is not known to. Its cookies
// then owe the Secure attribute, and the suite's requests carry
// ForwardedHeaders.
func (c *Config) TargetSecure() bool {
	v, told := c.Target.Env()["COOKIE_SECURE"]
	return told && !strings.EqualFold(strings.TrimSpace(v), "false")
}

// ForwardedHeaders are the headers every request to the target carries
// now, the browser's included: X-Forwarded-Proto: https while the target
// runs with COOKIE_SECURE on, as a TLS-terminating load balancer in front
// of it sends (express-session, Koa and Rails set no Secure cookie on a
// plain-HTTP request without it); none when the profile says
// target.forwarded_proto: none.
func (c *Config) ForwardedHeaders() http.Header {
	if !c.TargetSecure() || c.ProfileOrDefault().Target.ForwardedProto == profile.ForwardedNone {
		return nil
	}
	return http.Header{"X-Forwarded-Proto": {"https"}}
}

// requestTimeout bounds one request of the suite.
func (c *Config) requestTimeout() time.Duration {
	return harness.OrDefault(c.RequestTimeout, 30*time.Second)
}
