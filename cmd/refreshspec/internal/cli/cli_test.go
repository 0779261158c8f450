package cli

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/profile"
)

func TestNextJSExampleProfileLoads(t *testing.T) {
	path := filepath.Join("..", "..", "..", "..", "docs", "examples", "nextjs-iron-session.refreshspec.yaml")
	p, err := profile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Target.Command != "npm run start" || p.Proxy.Login.Path != "/api/auth/login" || p.Proxy.CookieName == "" ||
		p.Target.EnvNames.SessionSecret != "SECRET_COOKIE_PASSWORD" {
		t.Errorf("the example does not say what docs/profiles.md shows: %+v", p)
	}
	// Every key the docs list appears in docs/profiles.md's tables.
	docs, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "profiles.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"target.command", "target.dir", "target.image", "target.url", "target.env", "target.instances", "target.env_names.backend_url",
		"target.env_names.backend_timeout", "target.ready_path", "target.start_timeout", "target.backend_timeout", "credentials.first_name", "proxy.cookie_name",
		"proxy.login_fields.email", "proxy.csrf.source", "proxy.csrf.requests", "proxy.selectors.submit", "backend.dialect", "backend.control_url", "backend.paths.first_name",
		"backend.client_secret", "backend.short_access_ttl", "backend.rate_limit_burst"} {
		if !strings.Contains(string(docs), "`"+key+"`") {
			t.Errorf("docs/profiles.md does not document %s", key)
		}
	}
}

// run runs the command line and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := Main(ctx, args, func(string) string { return "" }, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestBadInputNamesTheFlagOrFile(t *testing.T) {
	dir := t.TempDir()
	badKey := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badKey, []byte("target:\n  comand: npm start\n"), 0o644)
	twoTargets := filepath.Join(dir, "two.yaml")
	os.WriteFile(twoTargets, []byte("target:\n  command: npm start\n  url: http://127.0.0.1:3000\n"), 0o644)
	badRepeat := filepath.Join(dir, "repeat.yaml")
	os.WriteFile(badRepeat, []byte("repeat: 101\ntarget:\n  command: npm start\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"proxy", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"proxy", "--backend", "bogus", "--target-cmd", "true"}, `--backend: "bogus" is not one of container, local`},
		{[]string{"proxy", "--profile", badKey}, `unknown key "target.comand"`},
		{[]string{"proxy", "--profile", filepath.Join(dir, "missing.yaml")}, "missing.yaml: open"},
		{[]string{"proxy", "--profile", twoTargets}, "give only one of url, command and image"},
		{[]string{"proxy"}, "no target"},
		{[]string{"proxy", "--target-cmd", "a", "--target-url", "http://127.0.0.1:1"}, "--target-cmd and --target-url: give only one"},
		{[]string{"proxy", "--target-url", "ftp://x"}, `--target-url: "ftp://x" is not an http(s) URL`},
		{[]string{"proxy", "--target-url", "http://127.0.0.1:3000", "--backend-addr", "10.0.0.1:9090"}, "--backend-addr: \"10.0.0.1:9090\" is not a loopback address"},
		{[]string{"proxy", "--target-image", "app:dev", "--backend", "local"}, "--target-image needs --backend container"},
		{[]string{"proxy", "--target-cmd", "true", "--focus", "P99"}, `--focus: "P99" names no scenario`},
		{[]string{"proxy", "--target-cmd", "true", "--focus", "B1"}, "leave no scenario of suite P"},
		{[]string{"proxy", "--target-cmd", "true", "--timeout", "-1s"}, "--timeout: must be positive"},
		{[]string{"proxy", "--target-cmd", "true", "stray"}, `unexpected argument "stray"`},
		{[]string{"proxy", "--target-cmd", "true", "--repeat", "0"}, "--repeat: 0 is outside 1..100"},
		{[]string{"proxy", "--profile", badRepeat}, "repeat: 101 is outside 1..100"},
		{[]string{"backend"}, "no backend: give --target-url"},
		{[]string{"backend", "--target-url", "http://127.0.0.1:1", "--rate-limit-burst", "5000"}, "backend.rate_limit_burst: 5000 is outside 0..1000"},
		{[]string{"list", "--suite", "X"}, `--suite: "X" is not one of P, W, B`},
		{[]string{"fakebackend", "--addr", "0.0.0.0:9090"}, `--addr: "0.0.0.0:9090" is not a loopback address`},
		{[]string{"fakebackend", "serve", "--access-ttl", "-1s"}, "-access-ttl: must be positive"},
		{[]string{"bogus"}, `unknown command "bogus"`},
	} {
		code, _, stderr := run(t, c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("refreshspec %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}

// --repeat overrides the profile's repeat, which the proxy suite's config
// gets; neither leaves it 0, the suite's default.
func TestRepeatReachesTheProxyConfig(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "p.yaml")
	os.WriteFile(prof, []byte("repeat: 5\ntarget:\n  command: 'true'\n"), 0o644)
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"--target-cmd", "true"}, 0},
		{[]string{"--profile", prof}, 5},
		{[]string{"--profile", prof, "--repeat", "9"}, 9},
	} {
		run, err := parseProxyRun(c.args, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if got := run.runnerOptions(&fake{}, startedTarget{}).Proxy.Repeat; got != c.want {
			t.Errorf("%v: the proxy config's Repeat is %d, want %d", c.args, got, c.want)
		}
	}
}

func TestFlagsOverrideTheProfile(t *testing.T) {
	prof, err := profile.Parse([]byte("target:\n  command: npm start\n  dir: app\n  ready_path: /health\n  start_timeout: 90s\n"))
	if err != nil {
		t.Fatal(err)
	}
	resolve := func(args ...string) (targetSpec, error) {
		var f proxyFlags
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		f.register(fs)
		fs.StringVar(&f.backend, "backend", backendContainer, "")
		fs.StringVar(&f.backendAddr, "backend-addr", "127.0.0.1:9090", "")
		fs.StringVar(&f.backendControlAddr, "backend-control-addr", "127.0.0.1:9091", "")
		fs.StringVar(&f.targetCmd, "target-cmd", "", "")
		fs.StringVar(&f.targetDir, "target-dir", "", "")
		fs.StringVar(&f.targetImage, "target-image", "", "")
		fs.StringVar(&f.targetURL, "target-url", "", "")
		fs.StringVar(&f.readyPath, "ready-path", "", "")
		fs.DurationVar(&f.startTimeout, "start-timeout", 0, "")
		fs.IntVar(&f.instances, "instances", 1, "")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return f.resolveTarget(prof, "/profiles/app", setFlags(fs))
	}
	got, err := resolve()
	if err != nil || got.kind != targetCommand || got.command != "npm start" || got.dir != "/profiles/app" || got.readyPath != "/health" || got.startTimeout != 90*time.Second {
		t.Errorf("profile only: %+v, %v", got, err)
	}
	got, err = resolve("--target-url", "http://127.0.0.1:3000", "--ready-path", "/", "--start-timeout", "5s")
	if err != nil || got.kind != targetURL || len(got.urls) != 1 || got.urls[0] != "http://127.0.0.1:3000" || got.readyPath != "/" || got.startTimeout != 5*time.Second {
		t.Errorf("flags over profile: %+v, %v", got, err)
	}
	got, err = resolve("--target-cmd", "go run ./cmd/reference")
	if err != nil || got.command != "go run ./cmd/reference" || got.dir != "/profiles/app" || got.instances != 1 {
		t.Errorf("--target-cmd keeps the profile's explicit dir: %+v, %v", got, err)
	}
	got, err = resolve("--target-cmd", "./app", "--instances", "3")
	if err != nil || got.instances != 3 {
		t.Errorf("--instances 3: %+v, %v", got, err)
	}
	got, err = resolve("--target-url", "http://127.0.0.1:3000, http://127.0.0.1:3001")
	if err != nil || got.instances != 2 || len(got.urls) != 2 || got.urls[1] != "http://127.0.0.1:3001" {
		t.Errorf("--target-url with two URLs: %+v, %v", got, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--target-cmd", "./app", "--instances", "0"}, "--instances: 0 is outside 1..16"},
		{[]string{"--target-url", "http://127.0.0.1:3000", "--instances", "2"}, "cannot start instances of a target it did not start"},
		{[]string{"--target-url", "http://a:1,http://b:1", "--instances", "3"}, "--instances 3, but --target-url lists 2 URLs"},
		{[]string{"--target-url", "http://a:1,b:1"}, `--target-url: "b:1" is not an http(s) URL`},
	} {
		if _, err := resolve(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error with %q", c.args, err, c.want)
		}
	}
}

func TestListPrintsTheCatalogue(t *testing.T) {
	code, out, _ := run(t, "list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range catalogue.All() {
		if !strings.Contains(out, s.ID+" ") {
			t.Errorf("list lacks %s", s.ID)
		}
	}
	_, out, _ = run(t, "list", "--suite", "B", "--skip", "INFO")
	if strings.Contains(out, "P1.1") || !strings.Contains(out, "B1.1") || strings.Contains(out, "B2.11") {
		t.Errorf("list --suite B --skip INFO:\n%s", out)
	}
	_, out, _ = run(t, "list", "--markdown")
	if out != catalogue.Markdown() {
		t.Error("list --markdown differs from catalogue.Markdown()")
	}
}

func TestFakeUsersAddTheProfilesUser(t *testing.T) {
	if got := fakeUsers(profile.Default().Credentials); got != nil {
		t.Errorf("the default credentials seed %+v, want nil (the backend's defaults)", got)
	}
	got := fakeUsers(profile.Credentials{Email: "bob@example.com", Password: "another pass", FirstName: "Bob"})
	if len(got) != 2 || got[0].Email != "alice@example.com" || got[1].Email != "bob@example.com" ||
		got[1].Password != "another pass" || got[1].FirstName != "Bob" || got[1].ID == got[0].ID || got[1].LastName == "" {
		t.Errorf("Bob's credentials seed %+v, want Alice and Bob", got)
	}
	got = fakeUsers(profile.Credentials{Email: "Alice@Example.com", Password: "other", FirstName: "Al"})
	if len(got) != 1 || got[0].Password != "other" || got[0].FirstName != "Al" {
		t.Errorf("Alice with another password seeds %+v, want Alice changed", got)
	}
}

// BACKEND_TIMEOUT goes to the target as the profile asks: a Node app that
// reads it with parseInt gets whole milliseconds, not "2s" (2 ms).
func TestTargetEnvWritesTheTimeoutInTheProfilesFormat(t *testing.T) {
	for format, want := range map[string]string{"go": "2s", "seconds": "2", "ms": "2000"} {
		prof, err := profile.Parse([]byte("target:\n  backend_timeout: 2s\n  backend_timeout_format: " + format + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		r := &proxyRun{profile: prof, target: targetSpec{kind: targetCommand}}
		if got := r.targetEnv(&fake{URL: "http://127.0.0.1:1"})["BACKEND_TIMEOUT"]; got != want {
			t.Errorf("backend_timeout_format %s: BACKEND_TIMEOUT=%q, want %q", format, got, want)
		}
	}
}

// A target that never answers is reported with the bound that ended the
// wait: --timeout, when the run's time ran out first, not the start timeout
// it never reached; the start timeout with the flag or key that set it.
func TestTargetThatNeverAnswersNamesTheBoundThatApplied(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close() // nothing answers there now
	backend := []string{"--backend", "local", "--backend-addr", "127.0.0.1:0", "--backend-control-addr", "127.0.0.1:0"}
	for _, c := range []struct {
		args      []string
		want, not string
	}{
		{[]string{"--timeout", "1s", "--target-url", closed}, "before the run's context ended (--timeout 1s elapsed), earlier than its start timeout of 1m0s", "set by"},
		{[]string{"--start-timeout", "500ms", "--target-url", closed}, "within its start timeout of 500ms, set by --start-timeout", "--timeout"},
		{[]string{"--timeout", "1s", "--target-cmd", "exec sleep 30"}, "before the run's context ended (--timeout 1s elapsed), earlier than its start timeout of 1m0s", "set by"},
		{[]string{"--start-timeout", "500ms", "--target-cmd", "exec sleep 30"}, "(its start timeout is set by --start-timeout)", "--timeout"},
	} {
		code, _, stderr := run(t, append(append([]string{"proxy"}, backend...), c.args...)...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Contains(stderr, c.not) {
			t.Errorf("refreshspec proxy %s: exit %d, stderr %q; want exit 2 with %q and without %q", strings.Join(c.args, " "), code, stderr, c.want, c.not)
		}
	}
}
