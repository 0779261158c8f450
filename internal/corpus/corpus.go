package corpus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/spec/browsersuite"
)

// RequireTools skips the test, or fails it under
// REFRESHSPEC_REQUIRE_EXAMPLES=1 (CI), when npm, Docker or Chromium is
// missing.
func RequireTools(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		SkipOrFail(t, "npm not found: the Node.js examples need Node.js 20 with npm, Chromium and a Docker engine")
	}
	RequireDockerAndChromium(t)
}

// RequireDockerAndChromium is RequireTools for an example that needs no
// npm (the Go one): the suite's container backend and its browser.
func RequireDockerAndChromium(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		SkipOrFail(t, "docker not found: the examples need Chromium and a Docker engine")
	}
	if _, err := browsersuite.FindChromium(""); err != nil {
		SkipOrFail(t, err.Error())
	}
}

type Report struct {
	Scenarios []struct {
		ID      string `json:"id"`
		State   string `json:"state"`
		Message string `json:"message"`
	} `json:"scenarios"`
}

func (r Report) Failed() []string {
	var ids []string
	for _, s := range r.Scenarios {
		if s.State == "failed" {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// SuiteRun is one run of the refreshspec CLI against an example.
type SuiteRun struct {
	Dir     string   // the example's folder, where the profile lives
	Profile string   // relative to dir
	Env     []string // added to the CLI's environment, which the target inherits
	Flags   []string
}

// run starts the CLI and returns its JSON report and exit status. A set-up
// error (exit 2) fails the test: it means the profile or the example is
// broken, not that the app is wrong.
func (r SuiteRun) Run(ctx context.Context, t *testing.T, bin string) (Report, int) {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	args := append([]string{"proxy", "--profile", r.Profile, "--json-report", report}, r.Flags...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(), r.Env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("refreshspec %v in %s: %v\n%s", args, r.Dir, err, out.String())
	}
	if code == 2 {
		t.Fatalf("refreshspec %v in %s: set-up error (exit 2):\n%s", args, r.Dir, out.String())
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("refreshspec %v wrote no JSON report: %v\n%s", args, err, out.String())
	}
	var rep Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("JSON report: %v", err)
	}
	t.Logf("refreshspec %v %v in %s (exit %d, %s):\n%s", r.Env, args, r.Dir, code, time.Since(start).Round(100*time.Millisecond), out.String())
	return rep, code
}

// ExpectSkipped checks that each scenario of skipped was reported as
// skipped with a reason that says so: a scenario that cannot be shown on
// the app's stack is never passed.
func ExpectSkipped(t *testing.T, what string, rep Report, skipped map[string]string) {
	t.Helper()
	for _, id := range sortedKeys(skipped) {
		found := false
		for _, s := range rep.Scenarios {
			if s.ID != id {
				continue
			}
			found = true
			if s.State != "skipped" || !strings.Contains(s.Message, skipped[id]) {
				t.Errorf("%s: %s %s (%q), want skipped because it %s", what, id, s.State, s.Message, skipped[id])
			}
		}
		if !found {
			t.Errorf("%s: the report has no %s", what, id)
		}
	}
}

// ExpectOnly checks a run against the scenarios allowed to fail, each with
// its reason (a SHOULD the app's library really misses, or a false failure
// another part of the suite has still to fix). Any other failure is the app's fault and fails the test;
// an allowed one that passes is reported so its entry can go.
func ExpectOnly(t *testing.T, what string, rep Report, code int, allowed map[string]string) {
	t.Helper()
	failed := rep.Failed()
	var unexpected []string
	for _, id := range failed {
		if _, ok := allowed[id]; !ok {
			unexpected = append(unexpected, id)
		}
	}
	if len(unexpected) > 0 {
		t.Errorf("%s: unexpected failures %v (all failed: %v)", what, unexpected, failed)
	}
	for _, id := range sortedKeys(allowed) {
		if slices.Contains(failed, id) {
			t.Logf("%s: %s failed, as expected: %s", what, id, allowed[id])
		} else {
			t.Logf("%s: %s passed now (allowed to fail because %s): drop it from the list", what, id, allowed[id])
		}
	}
	if want := map[bool]int{true: 0, false: 1}[len(failed) == 0]; code != want {
		t.Errorf("%s: exit %d, want %d (failed: %v)", what, code, want, failed)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// npm runs npm in dir; the Next.js build's telemetry stays off.
func NPM(ctx context.Context, t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "npm", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NEXT_TELEMETRY_DISABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm %v in %s: %v\n%s", args, dir, err, out)
	}
}

// NPMCI installs an example's locked packages unless an earlier npm ci of
// this checkout left them there.
func NPMCI(ctx context.Context, t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil {
		return
	}
	start := time.Now()
	NPM(ctx, t, dir, "ci", "--no-audit", "--no-fund")
	t.Logf("npm ci in %s: %s", dir, time.Since(start).Round(100*time.Millisecond))
}

var cli struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// RefreshspecBinary builds the CLI once per test binary, statically, as users
// install it, so that it can serve the fake backend from a FROM scratch image.
func RefreshspecBinary(ctx context.Context, t *testing.T) string {
	t.Helper()
	cli.once.Do(func() {
		cli.dir, cli.err = os.MkdirTemp("", "refreshspec-examples-")
		if cli.err != nil {
			return
		}
		cli.bin = filepath.Join(cli.dir, "refreshspec")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", cli.bin, "github.com/refreshspec/refreshspec/cmd/refreshspec")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			cli.err = fmt.Errorf("go build refreshspec: %w\n%s", err, out)
		}
	})
	if cli.err != nil {
		t.Fatal(cli.err)
	}
	return cli.bin
}

func SkipOrFail(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("REFRESHSPEC_REQUIRE_EXAMPLES") == "1" {
		t.Fatal(reason + " (REFRESHSPEC_REQUIRE_EXAMPLES=1)")
	}
	t.Skip(reason)
}

// ExpectPlantedBugsCaught runs the app in dir once per planted bug
// (PLANTED_BUG=name), with the in-process fake backend, strict and focused
// on the bug's scenario, and checks the run fails that scenario (exit 1);
// with alone, that scenario and no other.
func ExpectPlantedBugsCaught(ctx context.Context, t *testing.T, bin, dir, profile string, bugs []PlantedBug, alone bool) {
	t.Helper()
	for _, bug := range bugs {
		rep, code := SuiteRun{
			Dir:     dir,
			Profile: profile,
			Env:     []string{"PLANTED_BUG=" + bug.Name},
			Flags:   []string{"--backend", "local", "--strict", "--focus", bug.ID},
		}.Run(ctx, t, bin)
		failed := rep.Failed()
		switch {
		case alone && (code != 1 || !slices.Equal(failed, []string{bug.ID})):
			t.Errorf("PLANTED_BUG=%s should fail %s alone (exit 1); exit %d, failed: %v", bug.Name, bug.ID, code, failed)
		case !alone && (code != 1 || !slices.Contains(failed, bug.ID)):
			t.Errorf("PLANTED_BUG=%s should fail %s (exit 1); exit %d, failed: %v", bug.Name, bug.ID, code, failed)
		}
	}
}

// NodeApp is a Node.js example (npm ci, no build step) and what
// refreshspec must say about it.
type NodeApp struct {
	Dir, Profile string
	// allowed are the scenarios the correct app may fail, each with the
	// reason: a SHOULD its library really misses (the app's README lists
	// them), or a false failure of a check another part of the suite still
	// has to fix.
	Allowed map[string]string
	// skipped are the scenarios the correct app's run must report as
	// skipped, with a word of the reason: ones that cannot be shown on
	// this stack, which must never pass.
	Skipped map[string]string
	Bugs    []PlantedBug
}

// PlantedBug is a deliberate defect of an app (PLANTED_BUG=name) and the
// scenario that must catch it.
type PlantedBug struct {
	Name, ID string
}

// CheckNodeApp installs a Node.js example's locked packages and runs
// refreshspec against it: the proxy and browser suites in strict mode with
// the containerized fake backend, where the correct app may fail only its
// allowed scenarios and must skip the ones it cannot show; then each
// planted bug, focused on the scenario that must catch it (with the
// in-process fake backend, to keep the run short), which must fail.
func CheckNodeApp(ctx context.Context, t *testing.T, bin string, app NodeApp) {
	t.Helper()
	NPMCI(ctx, t, app.Dir)
	rep, code := SuiteRun{Dir: app.Dir, Profile: app.Profile, Flags: []string{"--browser", "--strict"}}.Run(ctx, t, bin)
	ExpectOnly(t, "the correct app", rep, code, app.Allowed)
	ExpectSkipped(t, "the correct app", rep, app.Skipped)

	ExpectPlantedBugsCaught(ctx, t, bin, app.Dir, app.Profile, app.Bugs, false)
}

// App is the folder of the example app name (examples/<name>), found from
// the module's root, so that a test package at any depth reaches it.
func App(name string) string {
	dir, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "examples", name)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			panic("corpus.App: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Main runs a test package's tests, then removes the CLI that
// RefreshspecBinary built for them and runs cleanups: call it from TestMain.
func Main(m *testing.M, cleanups ...func()) {
	code := m.Run()
	if cli.dir != "" {
		_ = os.RemoveAll(cli.dir)
	}
	for _, c := range cleanups {
		c()
	}
	os.Exit(code)
}
