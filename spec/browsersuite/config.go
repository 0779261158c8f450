package browsersuite

import (
	"time"

	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/proxysuite"
)

// Config configures the browser specs (group W). Like proxysuite.Config it is
// read when the specs run, so a suite may fill it in BeforeSuite.
type Config struct {
	// Proxy is the target, its fake backend and its profile, as for the
	// proxy specs; the W specs take the page paths, the selectors of
	// profile.Proxy.Selectors and the credentials from Proxy.Profile.
	Proxy *proxysuite.Config
	// ChromiumPath is the browser to run. Empty means $REFRESHSPEC_CHROMIUM,
	// else chromium, chromium-browser or google-chrome on PATH; when none is
	// found the W specs are skipped with that reason.
	ChromiumPath string
	// StepTimeout bounds each browser step (a navigation, a wait for the page to
	// show something); default 15 s. Starting Chromium has its own bound.
	StepTimeout time.Duration
}

func (c *Config) strict() bool { return c.Proxy != nil && c.Proxy.Strict }

func (c *Config) timeout() time.Duration { return harness.OrDefault(c.StepTimeout, 15*time.Second) }

// profileOf is the proxy config's profile, or the default one when it
// names none.
func profileOf(c *proxysuite.Config) *profile.Profile {
	if c.Profile == nil {
		return profile.Default()
	}
	return c.Profile
}
