package spec

import (
	"context"
	"errors"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
)

// Target is the proxy under test, as the suite sees it: a URL, and when the
// suite started it, a way to start it again with other settings.
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

// ProxyConfig configures the proxy specs (group P). It is read when the specs
// run, not when they are registered, so a suite may fill it in BeforeSuite.
type ProxyConfig struct {
	// Target is the proxy under test.
	Target Target
	// Backend is the control API of the fake backend the target talks to.
	Backend *control.Client
	// BackendURL is the fake backend's API URL as the suite reaches it, for
	// the direct calls that P9.2 compares against.
	BackendURL string
	// Profile maps the contract's roles to the target's routes; nil means
	// profile.Default().
	Profile *profile.Profile
	// Strict makes SHOULD failures fail the run.
	Strict bool
	// RequestTimeout bounds every request the suite makes (default 30 s).
	RequestTimeout time.Duration
}

// BackendConfig configures the backend specs (group B).
type BackendConfig struct {
	// URL is the backend's base URL.
	URL string
	// Profile gives the dialect, paths, field names, credentials and the
	// rate-limit burst (B2.8 runs only when it is above 0); nil means
	// profile.Default().
	Profile *profile.Profile
	// Control is a fake backend's control API, when the backend under test
	// is one: checks that need time to pass then move its clock. Nil for a
	// real backend, where those checks wait for Profile.Backend.ShortAccessTTL
	// or are skipped with the reason.
	Control *control.Client
	// Strict makes SHOULD failures fail the run.
	Strict bool
	// RequestTimeout bounds every request (default 10 s), so a backend that
	// hangs fails the scenario at hand instead of hanging the suite.
	RequestTimeout time.Duration
}

func (c *ProxyConfig) profile() *profile.Profile {
	if c.Profile == nil {
		return profile.Default()
	}
	return c.Profile
}

func (c *BackendConfig) profile() *profile.Profile {
	if c.Profile == nil {
		return profile.Default()
	}
	return c.Profile
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
