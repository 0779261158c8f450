package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/internal/tail"
	"github.com/refreshspec/refreshspec/runner"
	"github.com/refreshspec/refreshspec/spec"
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
	browser            bool
	chromium           string
	// email, password and firstName override the profile's credentials: the
	// user the suite logs in as, whom the fake backend is seeded with.
	email, password, firstName string
}

// suites are the catalogue suites the run covers: P, and W with --browser.
func (f *proxyFlags) suites() string {
	if f.browser {
		return "PW"
	}
	return "P"
}

func runProxy(ctx context.Context, args []string, e env) error {
	var f proxyFlags
	fs := flag.NewFlagSet("refreshspec proxy", flag.ContinueOnError)
	f.register(fs)
	fs.StringVar(&f.backend, "backend", backendContainer, "where the fake backend runs: container (Docker) or local (in this process)")
	fs.StringVar(&f.backendImage, "backend-image", "", "run the fake backend from this local `image` (e.g. refreshspec/fakebackend:dev) instead of this binary")
	fs.StringVar(&f.backendAddr, "backend-addr", "127.0.0.1:9090", "with --target-url: the fixed loopback address of the fake backend's API, where the running target points")
	fs.StringVar(&f.backendControlAddr, "backend-control-addr", "127.0.0.1:9091", "with --target-url: the fixed loopback address of the fake backend's control API")
	fs.StringVar(&f.targetCmd, "target-cmd", "", "shell `command` that starts the target; it gets BACKEND_URL, PORT, SESSION_SECRET, COOKIE_SECURE=false and BACKEND_TIMEOUT")
	fs.StringVar(&f.targetDir, "target-dir", "", "working `directory` of --target-cmd")
	fs.StringVar(&f.targetImage, "target-image", "", "local container `image` of the target, started with the same variables (needs --backend container)")
	fs.StringVar(&f.targetURL, "target-url", "", "`URL` of a target that already runs, pointed at the fake backend on --backend-addr")
	fs.StringVar(&f.readyPath, "ready-path", "", "path requested until the target answers below 500 (default the profile's target.ready_path, else its proxy.login_page.path: /login)")
	fs.DurationVar(&f.startTimeout, "start-timeout", 0, "how long the target may take to answer (default 60s, or the profile's target.start_timeout)")
	fs.BoolVar(&f.browser, "browser", false, "also run the browser scenarios (W) in headless Chromium")
	fs.StringVar(&f.chromium, "chromium", "", "with --browser: the Chromium `binary` (default $REFRESHSPEC_CHROMIUM, then chromium on PATH)")
	fs.StringVar(&f.email, "email", "", "email of the user the suite logs in as; the fake backend is seeded with it (default the profile's credentials.email, alice@example.com)")
	fs.StringVar(&f.password, "password", "", "that user's password (default the profile's credentials.password)")
	fs.StringVar(&f.firstName, "first-name", "", "that user's first name, which the pages show (default the profile's credentials.first_name)")
	fs.Usage = usageFunc(fs, "refreshspec proxy (--target-cmd CMD | --target-image IMAGE | --target-url URL | --profile FILE) [flags]")
	if err := parse(fs, args, e.stderr); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	if err := checkBackendKind(f.backend); err != nil {
		return err
	}
	prof, dir, err := f.loadProfile()
	if err != nil {
		return err
	}
	set := setFlags(fs)
	prof.Credentials.Email = profileOrFlag(set, "email", f.email, prof.Credentials.Email)
	prof.Credentials.Password = profileOrFlag(set, "password", f.password, prof.Credentials.Password)
	prof.Credentials.FirstName = profileOrFlag(set, "first-name", f.firstName, prof.Credentials.FirstName)
	if prof.Credentials.Email == "" || prof.Credentials.Password == "" {
		return usagef("--email and --password must not be empty")
	}
	t, err := f.resolveTarget(prof, dir, set)
	if err != nil {
		return err
	}
	if _, err := runner.Select(f.suites(), f.focus, f.skip); err != nil {
		return &usageError{err}
	}

	ctx, cancel := context.WithTimeoutCause(ctx, f.timeout, fmt.Errorf("--timeout %s elapsed", f.timeout))
	defer cancel()
	logs := tail.New(64 << 10)
	var logOut io.Writer = logs
	if f.verbose {
		logOut = io.MultiWriter(logs, e.stderr)
	}
	fo := fakeOptions{kind: f.backend, image: f.backendImage, users: fakeUsers(prof.Credentials), stderr: e.stderr}
	if f.verbose {
		fo.log = e.stderr
	}
	if t.kind == targetURL {
		fo.apiAddr, fo.controlAddr = f.backendAddr, f.backendControlAddr
	}
	fmt.Fprintf(e.stderr, "refreshspec: starting the fake backend (--backend %s)\n", f.backend)
	fb, err := startFake(ctx, fo)
	if err != nil {
		return err
	}
	defer closeQuietly(ctx, "fake backend", fb.Close, e.stderr)

	env := map[string]string{}
	for k, v := range prof.Target.Env {
		env[k] = v
	}
	env[target.EnvBackendURL] = fb.URL
	if t.kind == targetImage {
		env[target.EnvBackendURL] = fb.InnerURL
	}
	env[target.EnvSessionSecret] = target.RandomSecret()
	env[target.EnvCookieSecure] = "false"
	env[target.EnvBackendTimeout] = prof.Target.BackendTimeout.Std().String()
	fmt.Fprintf(e.stderr, "refreshspec: fake backend at %s (control %s); starting the target: %s\n", fb.URL, fb.ControlURL, t)
	started, err := t.start(ctx, env, prof, fb, logOut)
	if err != nil {
		// A process's error carries its last output already; a container's does not.
		if out := strings.TrimSpace(logs.String()); out != "" && !f.verbose && t.kind == targetImage {
			err = fmt.Errorf("%w\nthe target's last output:\n%s", err, indentLines(out, "  "))
		}
		return err
	}
	defer closeQuietly(ctx, "target", started.stop, e.stderr)

	cfg := &spec.ProxyConfig{
		Target: started.target, Backend: fb.Control, BackendURL: fb.URL, Profile: prof,
	}
	opts := runner.Options{Suite: "P", Proxy: cfg}
	if f.browser {
		opts.Browser = &spec.BrowserConfig{ChromiumPath: f.chromium}
	}
	return runSuite(ctx, e, f.commonFlags, opts)
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
