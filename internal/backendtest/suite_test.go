package backendtest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/container"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
	"github.com/refreshspec/refreshspec/internal/suitetest"
	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/backendsuite"
)

// The environment that chooses the backend and the mode of a run. The
// mutation test sets the mode variables for its child runs.
const (
	// envBackend is "local" for an in-process fake backend; anything else
	// (the default) starts it as a container.
	envBackend = suitetest.EnvBackend
	// envBackendURL and envControlURL reuse a fake backend that is running.
	envBackendURL = suitetest.EnvBackendURL
	envControlURL = suitetest.EnvControlURL
	// envDialect names the mapping the fake backend serves and the specs
	// speak: json (the default), oauth2 or custom (suitetest.DialectNames).
	envDialect = suitetest.EnvDialect
	// envBreak switches the fake backend into one of fakebackend.AllBreaks
	// after every reset.
	envBreak = "REFRESHSPEC_BREAK"
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
	// envLeeway is a reuse leeway (a Go duration) that the profile declares
	// (backend.reuse_leeway) and the fake backend grants as its grace
	// window, as a backend with Auth0's reuse interval does.
	envLeeway = "REFRESHSPEC_LEEWAY"
	// envRotation is a rotation (as --backend-rotation takes it: "okta",
	// "hydra,grace_period=1m,reuse_count=2") that the fake backend serves
	// after every reset; envDeclareRotation=1 makes the profile declare it
	// too (backend.rotation), so B2.14 checks it as a MUST.
	envRotation        = "REFRESHSPEC_ROTATION"
	envDeclareRotation = "REFRESHSPEC_DECLARE_ROTATION"
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

// cfg is filled in BeforeSuite; the specs read it when they run.
var cfg = &backendsuite.Config{Strict: true, RequestTimeout: 10 * time.Second}

var _ = backendsuite.Register(cfg)

// TestBackendSuite runs the B specs in strict mode against the correct fake
// backend (or, in a child of TestBackendMutants, a broken one): every MUST
// and SHOULD must pass.
func TestBackendSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the backend suite against a container")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "Backend suite")
}

// breaks is what this run switches the fake backend into after each reset.
var breaks []fakebackend.Break

// backendControl is the fake backend's control API, which this test uses to
// reset the backend even in the runs whose specs do not get it.
var backendControl *control.Client

// leeway is this run's reuse leeway (envLeeway), 0 for none.
var leeway time.Duration

// rotation is the rotation this run's fake backend serves (envRotation),
// nil for the contract's.
var rotation *dialect.RotationRules

var _ = BeforeSuite(func(ctx SpecContext) {
	name, mapping, err := suitetest.DialectFromEnv()
	Expect(err).NotTo(HaveOccurred())
	b, skip, err := sharedBackend(ctx, name)
	if skip != "" {
		Skip(skip)
	}
	Expect(err).NotTo(HaveOccurred())
	if v := os.Getenv(envBreak); v != "" {
		parsed, err := fakebackend.ParseBreaks(v)
		Expect(err).NotTo(HaveOccurred(), "%s", envBreak)
		breaks = parsed
	}
	if v := os.Getenv(envLeeway); v != "" {
		leeway, err = time.ParseDuration(v)
		Expect(err).NotTo(HaveOccurred(), "%s", envLeeway)
	}
	if v := os.Getenv(envRotation); v != "" {
		r, err := dialect.ParseRotation(v)
		Expect(err).NotTo(HaveOccurred(), "%s", envRotation)
		rules, _ := r.Rules()
		rotation = &rules
		if os.Getenv(envDeclareRotation) == "1" {
			mapping.Rotation = r
			// A test of the mismatch declares another rotation than
			// the one served.
			if o := os.Getenv("REFRESHSPEC_DECLARE_OVERRIDE"); o != "" {
				mapping.Rotation, err = dialect.ParseRotation(o)
				Expect(err).NotTo(HaveOccurred())
			}
		}
	}
	backendControl = b.Control
	cfg.Control = b.Control
	cfg.BackendURL = b.URL
	prof := profile.Default()
	prof.Backend.Mapping = mapping
	prof.Backend.ReuseLeeway = dialect.Duration(leeway)
	prof.Backend.RateLimitBurst = rateLimitBurst
	Expect(prof.Validate()).To(Succeed())
	cfg.Profile = prof
	if os.Getenv(envHostile) == "hang" {
		cfg.RequestTimeout = hangTimeout
	}
	switch timing := os.Getenv(envTiming); timing {
	case "":
	case "wait":
		cfg.Control = nil
		prof.Backend.ShortAccessTTL = dialect.Duration(shortAccessTTL)
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
	grace := control.Duration(leeway)
	patch := control.SettingsPatch{RateLimit: &rl, GraceWindow: &grace}
	if rotation != nil {
		patch.GraceWindow, patch.Rotation = nil, rotation
	}
	if os.Getenv(envTiming) == "wait" {
		ttl := control.Duration(shortAccessTTL)
		patch.AccessTTL = &ttl
	}
	_, err = backendControl.UpdateSettings(ctx, patch)
	Expect(err).NotTo(HaveOccurred())
	Expect(fakebackend.SetBreaks(ctx, backendControl, breaks)).To(Succeed())
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

// shared holds the fake backends of this process, one per mapping:
// TestBackendSuite uses the one envDialect names, and TestBackendMutants one
// per mapping it runs, whose URLs it hands its children.
var shared struct {
	mu        sync.Mutex
	byDialect map[string]*sharedBackendEntry
}

type sharedBackendEntry struct {
	b    *suitetest.Backend
	skip string
	err  error
}

// sharedBackend starts (once) or reuses the fake backend serving the named
// mapping, as the environment says: the mapping envDialect names may be a
// running one (envBackendURL, envControlURL), the others are started here.
// skip is set when there is no Docker engine and the run may skip.
func sharedBackend(ctx context.Context, name string) (b *suitetest.Backend, skip string, err error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.byDialect == nil {
		shared.byDialect = map[string]*sharedBackendEntry{}
	}
	e, ok := shared.byDialect[name]
	if !ok {
		e = &sharedBackendEntry{}
		e.b, e.skip, e.err = startBackend(context.WithoutCancel(ctx), name)
		shared.byDialect[name] = e
	}
	return e.b, e.skip, e.err
}

func startBackend(ctx context.Context, name string) (*suitetest.Backend, string, error) {
	envName, _, err := suitetest.DialectFromEnv()
	if err != nil {
		return nil, "", err
	}
	reused := name == envName && (os.Getenv(envBackendURL) != "" || os.Getenv(envControlURL) != "")
	if !reused && os.Getenv(envBackend) != "local" {
		if err := container.DockerAvailable(ctx); err != nil {
			if os.Getenv(container.RequireDockerEnv) == "1" {
				return nil, "", fmt.Errorf("no Docker engine, and %s=1 requires one: %w", container.RequireDockerEnv, err)
			}
			return nil, fmt.Sprintf("no Docker engine reachable (%v): set %s=local to run the fake backend in-process, "+
				"or %s=1 to make this a failure", err, envBackend, container.RequireDockerEnv), nil
		}
	}
	if name == envName {
		b, err := suitetest.BackendFromEnv(ctx)
		return b, "", err
	}
	m, err := suitetest.Mapping(name)
	if err != nil {
		return nil, "", err
	}
	b, err := suitetest.StartBackendSpeaking(ctx, m)
	return b, "", err
}

// TestMain stops the shared fake backend after every test has run, and
// removes the binaries the tests built (oauthserver_process_test.go).
func TestMain(m *testing.M) {
	code := m.Run()
	removeBuiltBinaries()
	for name, e := range shared.byDialect {
		if e.b == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := e.b.Close(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "stopping the fake backend (%s): %v\n", name, err)
		}
		cancel()
	}
	os.Exit(code)
}
