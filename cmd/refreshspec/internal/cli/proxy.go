package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/internal/runner"
	"github.com/refreshspec/refreshspec/internal/tail"
	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/browsersuite"
	"github.com/refreshspec/refreshspec/spec/proxysuite"
	"github.com/refreshspec/refreshspec/spec/target"
)

// proxyFlags are the flags of `refreshspec proxy`.
type proxyFlags struct {
	commonFlags
	backend            string
	backendImage       string
	backendAddr        string
	backendControlAddr string
	targetCmd          string
	targetDir          string
	targetImage        string
	targetURL          string
	readyPath          string
	startTimeout       time.Duration
	instances          int
	browser            bool
	chromium           string
	// email, password and firstName override the profile's credentials: the
	// user the suite logs in as, whom the fake backend is seeded with.
	email, password, firstName string
	// repeat overrides the profile's repeat: the rounds of P7.1 and P7.4.
	repeat int
	// backendRotation overrides the profile's backend.rotation: the
	// rotation semantics the fake backend serves.
	backendRotation string
}

// suites are the catalogue suites the run covers: P, and W with --browser.
func (f *proxyFlags) suites() string {
	if f.browser {
		return "PW"
	}
	return "P"
}

// runProxy is `refreshspec proxy`: it starts the fake backend, then the
// target in front of it, and runs the proxy suite (and the browser suite
// with --browser) against the target.
func runProxy(ctx context.Context, args []string, e env) error {
	run, err := parseProxyRun(args, e.stderr)
	if err != nil {
		return err
	}
	f := run.flags
	ctx, cancel := context.WithTimeoutCause(ctx, f.timeout, fmt.Errorf("--timeout %s elapsed", f.timeout))
	defer cancel()

	fb, err := run.startBackend(ctx, e.stderr)
	if err != nil {
		return err
	}
	defer closeQuietly(ctx, "fake backend", fb.Close, e.stderr)
	started, err := run.startTarget(ctx, fb, e.stderr)
	if err != nil {
		return err
	}
	defer closeQuietly(ctx, "target", started.stop, e.stderr)
	opts := run.runnerOptions(fb, started)
	if err := proxysuite.Preflight(ctx, opts.Proxy); err != nil {
		// One diagnosis instead of a failure of every scenario at its login.
		return setupf("%v", err)
	}
	return runSuite(ctx, e, f.commonFlags, opts)
}

// proxyRun is a `refreshspec proxy` run whose flags and profile are checked.
type proxyRun struct {
	flags   *proxyFlags
	profile *profile.Profile // with the credential flags applied
	target  targetSpec
	accept  map[string]string // --accept, else the profile's accept
}

// parseProxyRun parses and checks the flags, loads the profile and resolves
// the target, so that every usage error comes before anything starts.
func parseProxyRun(args []string, stderr io.Writer) (*proxyRun, error) {
	f := &proxyFlags{}
	fs := f.flagSet()
	if err := parse(fs, args, stderr); err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	if err := checkBackendKind(f.backend, f.backendImage); err != nil {
		return nil, err
	}
	prof, dir, err := f.loadProfile()
	if err != nil {
		return nil, err
	}
	if f.backendRotation != "" {
		r, err := dialect.ParseRotation(f.backendRotation)
		if err != nil {
			return nil, usagef("--backend-rotation: %v", err)
		}
		prof.Backend.Rotation, prof.Backend.ReuseLeeway = r, 0
	}
	if err := checkFakeMapping(prof.Backend.Mapping); err != nil {
		return nil, err
	}
	set := setFlags(fs)
	if err := f.applyCredentials(prof, set); err != nil {
		return nil, err
	}
	if set["repeat"] {
		if f.repeat < 1 || f.repeat > profile.MaxRepeat {
			return nil, usagef("--repeat: %d is outside 1..%d", f.repeat, profile.MaxRepeat)
		}
		prof.Repeat = f.repeat
	}
	t, err := f.resolveTarget(prof, dir, set)
	if err != nil {
		return nil, err
	}
	if _, err := runner.Select(f.suites(), f.focus, f.skip); err != nil {
		return nil, &usageError{err}
	}
	accept, err := f.acceptList(prof)
	if err != nil {
		return nil, err
	}
	return &proxyRun{flags: f, profile: prof, target: t, accept: accept}, nil
}

// flagSet declares the flags of `refreshspec proxy` into f.
func (f *proxyFlags) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("refreshspec proxy", flag.ContinueOnError)
	f.register(fs)
	fs.StringVar(&f.backend, "backend", backendContainer, "where the fake backend runs: container (Docker) or local (in this process)")
	fs.StringVar(&f.backendImage, "backend-image", "", "run the fake backend from this local `image` (e.g. refreshspec/fakebackend:dev) instead of this binary")
	fs.StringVar(&f.backendAddr, "backend-addr", "127.0.0.1:9090", "with --target-url: the fixed loopback address of the fake backend's API, where the running target points")
	fs.StringVar(&f.backendControlAddr, "backend-control-addr", "127.0.0.1:9091", "with --target-url: the fixed loopback address of the fake backend's control API")
	fs.StringVar(&f.targetCmd, "target-cmd", "", "shell `command` that starts the target; it gets BACKEND_URL, PORT, SESSION_SECRET, COOKIE_SECURE=false and BACKEND_TIMEOUT")
	fs.StringVar(&f.targetDir, "target-dir", "", "working `directory` of --target-cmd")
	fs.StringVar(&f.targetImage, "target-image", "", "local container `image` of the target, started with the same variables (needs --backend container)")
	fs.StringVar(&f.targetURL, "target-url", "", "`URL` of a target that already runs, pointed at the fake backend on --backend-addr; a comma-separated list names several instances (P7.4)")
	fs.StringVar(&f.readyPath, "ready-path", "", "path requested until the target answers below 500 (default the profile's target.ready_path, else its proxy.login_page.path: /login)")
	fs.DurationVar(&f.startTimeout, "start-timeout", 0, "how long the target may take to answer (default 60s, or the profile's target.start_timeout)")
	fs.IntVar(&f.instances, "instances", 1, "start `N` instances of --target-cmd or --target-image, sharing SESSION_SECRET and the profile's target.env; P7.4 spreads a session over them (default the profile's target.instances; with --target-url, as many as it lists)")
	fs.BoolVar(&f.browser, "browser", false, "also run the browser scenarios (W) in headless Chromium")
	fs.StringVar(&f.chromium, "chromium", "", "with --browser: the Chromium `binary` (default $REFRESHSPEC_CHROMIUM, then chromium on PATH)")
	fs.StringVar(&f.email, "email", "", "email of the user the suite logs in as; the fake backend is seeded with it (default the profile's credentials.email, alice@example.com)")
	fs.StringVar(&f.password, "password", "", "that user's password (default the profile's credentials.password)")
	fs.StringVar(&f.firstName, "first-name", "", "that user's first name, which the pages show (default the profile's credentials.first_name)")
	fs.StringVar(&f.backendRotation, "backend-rotation", "", "the rotation semantics the fake backend serves: a preset (auth0, okta, keycloak, hydra, cognito, contract) with comma-separated knobs (okta,grace_period=10s); see docs/providers.md (default the profile's backend.rotation, else the contract's)")
	fs.IntVar(&f.repeat, "repeat", 0, "how many rounds the race scenarios P7.1 and P7.4 run, 1 to 100 (default the profile's repeat, else 3)")
	fs.Usage = usageFunc(fs, "refreshspec proxy (--target-cmd CMD | --target-image IMAGE | --target-url URL | --profile FILE) [flags]")
	return fs
}

// applyCredentials lets --email, --password and --first-name override the
// profile's credentials.
func (f *proxyFlags) applyCredentials(prof *profile.Profile, set map[string]bool) error {
	c := &prof.Credentials
	c.Email = profileOrFlag(set, "email", f.email, c.Email)
	c.Password = profileOrFlag(set, "password", f.password, c.Password)
	c.FirstName = profileOrFlag(set, "first-name", f.firstName, c.FirstName)
	if c.Email == "" || c.Password == "" {
		return usagef("--email and --password must not be empty")
	}
	return nil
}

// startBackend starts the fake backend the target will talk to, seeded with
// the profile's user. A running target (--target-url) was pointed at fixed
// addresses beforehand, so the backend listens there.
func (r *proxyRun) startBackend(ctx context.Context, stderr io.Writer) (*fake, error) {
	f := r.flags
	fo := fakeOptions{kind: f.backend, image: f.backendImage, users: fakeUsers(r.profile.Credentials), mapping: r.profile.Backend.Mapping, stderr: stderr}
	if f.verbose {
		fo.log = stderr
	}
	if r.target.kind == targetURL {
		fo.apiAddr, fo.controlAddr = f.backendAddr, f.backendControlAddr
	}
	fmt.Fprintf(stderr, "refreshspec: starting the fake backend (--backend %s)\n", f.backend)
	return startFake(ctx, fo)
}

// startTarget starts the target (or waits for a running one) with the
// variables of contract §2 pointing at fb. Its output goes to stderr with -v;
// a container that fails to start shows its last lines in the error.
func (r *proxyRun) startTarget(ctx context.Context, fb *fake, stderr io.Writer) (startedTarget, error) {
	logs := tail.New(64 << 10)
	var out io.Writer = logs
	if r.flags.verbose {
		out = io.MultiWriter(logs, stderr)
	}
	fmt.Fprintf(stderr, "refreshspec: fake backend at %s (control %s); starting the target: %s\n", fb.URL, fb.ControlURL, r.target)
	started, err := r.target.start(ctx, r.targetEnv(fb), r.profile, fb, out)
	if err != nil {
		// A process's error carries its last output already; a container's does not.
		if last := strings.TrimSpace(logs.String()); last != "" && !r.flags.verbose && r.target.kind == targetImage {
			err = fmt.Errorf("%w\nthe target's last output:\n%s", err, indentLines(last, "  "))
		}
		return startedTarget{}, err
	}
	return started, nil
}

// targetEnv is the target's environment under the contract's names (the
// target renames them as the profile's env_names say): the profile's own
// variables, then the backend's URL (as a container on fb's network reaches
// it, for an image), a fresh secret, plain-HTTP cookies and the timeout.
func (r *proxyRun) targetEnv(fb *fake) map[string]string {
	env := map[string]string{}
	for k, v := range r.profile.Target.Env {
		env[k] = v
	}
	env[target.EnvBackendURL] = fb.URL
	if r.target.kind == targetImage {
		env[target.EnvBackendURL] = fb.InnerURL
	}
	env[target.EnvSessionSecret] = target.RandomSecret()
	env[target.EnvCookieSecure] = "false"
	env[target.EnvBackendTimeout] = r.profile.Target.BackendTimeoutValue()
	return env
}

// runnerOptions say what runSuite runs: the proxy suite against the started
// target and fb, and the browser suite with --browser.
func (r *proxyRun) runnerOptions(fb *fake, started startedTarget) runner.Options {
	cfg := &proxysuite.Config{
		Target: started.target, Instances: started.instances, Control: fb.Control,
		BackendURL: fb.URL, BackendMapping: r.profile.Backend.Mapping, Profile: r.profile, Repeat: r.profile.Repeat,
	}
	opts := runner.Options{Suite: "P", Proxy: cfg, Accept: r.accept}
	if r.flags.browser {
		opts.Browser = &browsersuite.Config{ChromiumPath: r.flags.chromium}
	}
	return opts
}

// closeQuietly runs a cleanup with a context of its own (the run's may have
// ended) and reports a failure without changing the verdict.
func closeQuietly(ctx context.Context, what string, close func(context.Context) error, stderr io.Writer) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := close(ctx); err != nil {
		fmt.Fprintf(stderr, "refreshspec: stopping the %s: %v\n", what, err)
	}
}

// profileOrFlag returns the flag's value when it was set, the profile's otherwise.
func profileOrFlag[T any](set map[string]bool, name string, flagValue, profileValue T) T {
	if set[name] {
		return flagValue
	}
	return profileValue
}
