package backendtest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend"
	"github.com/refreshspec/refreshspec/fakebackend/container"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/backendsuite"
	"github.com/refreshspec/refreshspec/spec/internal/suitetest"
)

// The environment that chooses the backend and the mode of a run. The
// mutation test sets the last three for its child runs.
const (
	// envBackend is "local" for an in-process fake backend; anything else
	// (the default) starts it as a container.
	envBackend = suitetest.EnvBackend
	// envBackendURL and envControlURL reuse a fake backend that is running.
	envBackendURL = suitetest.EnvBackendURL
	envControlURL = suitetest.EnvControlURL
	// envBreak switches the fake backend into one of control.AllBreaks
	// after every reset.
	envBreak = "REFRESHSPEC_BREAK"
	// envDialect "oauth2" puts an RFC 6749 adapter in front of the fake
	// backend and runs the specs in the oauth2 dialect.
	envDialect = "REFRESHSPEC_DIALECT"
	// envHostile makes every answer of the fake backend a bad one: "html"
	// (200 with an HTML page), "missing-field" (200 without the access
	// token) or "hang" (no answer within the request timeout). The specs
	// must fail one by one with what they received, never crash or hang.
	envHostile = "REFRESHSPEC_HOSTILE"
	// envTiming says how the specs may let time pass. Unset, they get the
	// fake backend's control API. "wait": no control API, but the fake
	// backend issues access tokens that live shortAccessTTL and the profile
	// says so, so the timed checks wait. "none": neither, and no rate-limit
	// burst either, as for a real backend with nothing opted in: the timed
	// checks and B2.8 must be skipped with the reason, never passed.
	envTiming = "REFRESHSPEC_TIMING"
)

// shortAccessTTL is the access token lifetime of a "wait" run.
const shortAccessTTL = 3 * time.Second

// hangTimeout is the request timeout of a "hang" run, and hangDelay how long
// the fake backend holds each request: far longer, so only the timeout ends it.
const (
	hangTimeout = 300 * time.Millisecond
	hangDelay   = 30 * time.Second
)

// rateLimitBurst is how many invalid refresh attempts B2.8 sends, and
// perAddressLimit the fake backend's per-address bound during these runs:
// low enough that the burst meets it, high enough that no other spec does.
const (
	rateLimitBurst  = 15
	perAddressLimit = 10
)

// The client the oauth2 profile presents and the adapter demands.
const (
	oauth2ClientID     = "refreshspec-test"
	oauth2ClientSecret = "refreshspec-test-secret"
)

// cfg is filled in BeforeSuite; the specs read it when they run.
var cfg = &backendsuite.Config{Strict: true, RequestTimeout: 10 * time.Second}

var _ = backendsuite.Register(cfg)

// TestBackendSuite runs the B specs in strict mode against the correct fake
// backend (or, in a child of TestBackendMutants, a broken one): every MUST
// and SHOULD must pass.
func TestBackendSuite(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Backend suite")
}

// breaks is what this run switches the fake backend into after each reset.
var breaks []control.Break

// backendControl is the fake backend's control API, which this test uses to
// reset the backend even in the runs whose specs do not get it.
var backendControl *control.Client

var _ = BeforeSuite(func(ctx SpecContext) {
	b, skip, err := sharedBackend(ctx)
	if skip != "" {
		Skip(skip)
	}
	Expect(err).NotTo(HaveOccurred())
	if v := os.Getenv(envBreak); v != "" {
		parsed, err := fakebackend.ParseBreaks(v)
		Expect(err).NotTo(HaveOccurred(), "%s", envBreak)
		breaks = parsed
	}
	backendControl = b.Control
	cfg.Control = b.Control
	cfg.URL = b.URL
	prof := profile.Default()
	if os.Getenv(envDialect) == string(profile.DialectOAuth2) {
		adapter, err := newOAuth2Adapter(b.URL, oauth2ClientID, oauth2ClientSecret)
		Expect(err).NotTo(HaveOccurred())
		srv := httptest.NewServer(adapter)
		DeferCleanup(srv.Close)
		cfg.URL = srv.URL
		prof, err = profile.Parse(fmt.Appendf(nil, `
backend:
  dialect: oauth2
  login: {path: /oauth/token, body: form}
  logout: {path: /auth/logout, body: json}
  client_id: %s
  client_secret: %s
`, oauth2ClientID, oauth2ClientSecret))
		Expect(err).NotTo(HaveOccurred())
	}
	prof.Backend.RateLimitBurst = rateLimitBurst
	cfg.Profile = prof
	if os.Getenv(envHostile) == "hang" {
		cfg.RequestTimeout = hangTimeout
	}
	switch timing := os.Getenv(envTiming); timing {
	case "":
	case "wait":
		cfg.Control = nil
		prof.Backend.ShortAccessTTL = profile.Duration(shortAccessTTL)
	case "none":
		cfg.Control = nil
		prof.Backend.RateLimitBurst = 0
	default:
		Fail(fmt.Sprintf("%s=%q: want wait or none", envTiming, timing))
	}
})

// Every spec starts from a clean fake backend. Reset restores the settings
// the backend started with, so the rate limit B2.8 needs and this run's
// break are applied again after it.
var _ = BeforeEach(func(ctx SpecContext) {
	Expect(backendControl.Reset(ctx)).To(Succeed())
	now, err := backendControl.Settings(ctx)
	Expect(err).NotTo(HaveOccurred())
	rl := now.RateLimit
	rl.Enabled, rl.PerAddress = true, perAddressLimit
	list := append([]control.Break{}, breaks...)
	patch := control.SettingsPatch{RateLimit: &rl, Breaks: &list}
	if os.Getenv(envTiming) == "wait" {
		ttl := control.Duration(shortAccessTTL)
		patch.AccessTTL = &ttl
	}
	_, err = backendControl.UpdateSettings(ctx, patch)
	Expect(err).NotTo(HaveOccurred())
	if mode := os.Getenv(envHostile); mode != "" {
		f := control.Fault{Count: 1000, Kind: control.FaultStatus, Status: 200, Body: control.FaultBody(mode)}
		if mode == "hang" {
			f = control.Fault{Count: 1000, Kind: control.FaultDelay, Delay: control.Duration(hangDelay)}
		}
		for _, route := range []control.Route{control.RouteLogin, control.RouteRefresh, control.RouteLogout, control.RouteMe} {
			f.Route = route
			Expect(backendControl.QueueFault(ctx, f)).To(Succeed(), "queueing a %s fault", mode)
		}
	}
})

// shared is the one fake backend of this process: TestBackendSuite and
// TestBackendMutants (and all its children, through the environment) use it.
var shared struct {
	once sync.Once
	b    *suitetest.Backend
	skip string
	err  error
}

// sharedBackend starts (once) or reuses the fake backend, as the
// environment says. skip is set when there is no Docker engine and the run
// may skip.
func sharedBackend(ctx context.Context) (b *suitetest.Backend, skip string, err error) {
	shared.once.Do(func() {
		shared.b, shared.skip, shared.err = startBackend(context.WithoutCancel(ctx))
	})
	return shared.b, shared.skip, shared.err
}

func startBackend(ctx context.Context) (*suitetest.Backend, string, error) {
	if suitetest.UsesContainer() {
		if err := container.DockerAvailable(ctx); err != nil {
			if os.Getenv(container.RequireDockerEnv) == "1" {
				return nil, "", fmt.Errorf("no Docker engine, and %s=1 requires one: %w", container.RequireDockerEnv, err)
			}
			return nil, fmt.Sprintf("no Docker engine reachable (%v): set %s=local to run the fake backend in-process, "+
				"or %s=1 to make this a failure", err, envBackend, container.RequireDockerEnv), nil
		}
	}
	b, err := suitetest.BackendFromEnv(ctx)
	return b, "", err
}

// TestMain stops the shared fake backend after every test has run.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.b != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := shared.b.Close(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the fake backend:", err)
		}
		cancel()
	}
	os.Exit(code)
}
