package distcheck

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// What builds the release once per test binary, for this package's tests
// and for the Next.js example's (internal/corpus/nextjstest), which installs
// the npm packages into the example's folder as a Next.js team does.

// The release the tests build: a version that is no tag, so that nothing
// mistakes it for one, and npm's reading of it.
const (
	version    = "v0.0.0-distcheck"
	npmVersion = "0.0.0-distcheck"
)

// platform is this machine's, as Go names it (linux/amd64) and as Node does
// (linux-x64): the one platform the tests build, since cross-compiling all
// six costs minutes that make dist spends, not make test.
var (
	platform     = "linux/" + runtime.GOARCH
	nodePlatform = "linux-" + strings.NewReplacer("amd64", "x64").Replace(runtime.GOARCH)
)

type distribution struct {
	dir string // DIST_DIR; with npm, DIST_DIR/npm holds the npm tarballs
}

var built struct {
	once sync.Once
	dist distribution
	err  error
}

// dist runs `make dist npm` (make dist without npm) once per test binary,
// into a temporary DIST_DIR, for this machine's platform.
func dist(t *testing.T) distribution {
	t.Helper()
	skipUnlessRelease(t)
	built.once.Do(func() {
		built.dist, built.err = buildDist()
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.dist
}

// skipUnlessRelease skips under -short, and on a machine that cannot run
// the linux binary.
func skipUnlessRelease(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: building the release takes a minute or more")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the release checks run the linux binary: they need a linux machine")
	}
}

func buildDist() (distribution, error) {
	dir, err := os.MkdirTemp("", "refreshspec-distcheck-")
	if err != nil {
		return distribution{}, err
	}
	d := distribution{dir: dir}
	targets := []string{"dist"}
	if _, err := exec.LookPath("npm"); err == nil {
		targets = append(targets, "npm")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := makeCmd(ctx, dir, targets...).CombinedOutput()
	if err != nil {
		return d, fmt.Errorf("make %s: %v\n%s", strings.Join(targets, " "), err, out)
	}
	fmt.Fprintf(os.Stderr, "distcheck: make %s PLATFORMS=%s took %s\n", strings.Join(targets, " "), platform, time.Since(start).Round(100*time.Millisecond))
	return d, nil
}

// makeCmd is `make TARGETS` in the repository with the release's settings,
// or, without make, scripts/dist, which make runs.
func makeCmd(ctx context.Context, distDir string, targets ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if _, err := exec.LookPath("make"); err == nil {
		cmd = exec.CommandContext(ctx, "make", targets...)
	} else {
		script := "for t in " + strings.Join(targets, " ") + `; do [ "$t" = dist ] && t=archives; bash scripts/dist "$t" || exit; done`
		cmd = exec.CommandContext(ctx, "bash", "-c", script)
	}
	cmd.Dir = repoRoot()
	// An outer make's flags (make test) are not this make's.
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "VERSION", "COMMIT", "DIST_DIR", "PLATFORMS", "IMAGE_TAG", "IMAGE_PLATFORMS", "IMAGE_PUSH", "TRIMPATH":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	// Without -trimpath the build reuses the packages that the other tests'
	// builds of refreshspec (CGO_ENABLED=0, no -trimpath) compiled: cold,
	// -trimpath alone costs two minutes of CPU. The release keeps it.
	cmd.Env = append(cmd.Env, "DIST_DIR="+distDir, "VERSION="+version, "PLATFORMS="+platform, "TRIMPATH=0")
	return cmd
}

// repoRoot is the module's root, the folder above that holds go.mod.
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			panic("distcheck: no go.mod above the working directory")
		}
		dir = parent
	}
}

// npmEnv keeps npm quiet and off the network's extras.
var npmEnv = []string{"NEXT_TELEMETRY_DISABLED=1", "npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false"}

// tarballs are the npm packages a user on this machine gets: refreshspec
// and this platform's binary. npm is given both, since the platform
// packages are on no registry; --offline, since it needs none: it looks up
// the other platforms' packages, finds none (they are optional), and
// installs without them.
func tarballs(t *testing.T, d distribution) []string {
	t.Helper()
	main := filepath.Join(d.dir, "npm", "refreshspec-"+npmVersion+".tgz")
	bin := filepath.Join(d.dir, "npm", "refreshspec-cli-"+nodePlatform+"-"+npmVersion+".tgz")
	for _, p := range []string{main, bin} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("make npm made no %s: %v", filepath.Base(p), err)
		}
	}
	return []string{main, bin}
}

// NPMTarballs builds the release for this machine once per test binary
// (make dist npm) and returns the npm tarballs a user on this machine
// installs: refreshspec and this platform's binary. It skips the test
// under -short or off linux, and without npm (fails with
// REFRESHSPEC_REQUIRE_EXAMPLES=1).
func NPMTarballs(t *testing.T) []string {
	t.Helper()
	requireNpm(t)
	return tarballs(t, dist(t))
}

// NPMEnv keeps npm quiet and off the network's extras.
var NPMEnv = npmEnv

// Cleanup removes the release NPMTarballs built: call it from TestMain once
// the tests ran.
func Cleanup() {
	if built.dist.dir != "" {
		_ = os.RemoveAll(built.dist.dir)
	}
}

// requireNpm skips the test without npm, or fails it under
// REFRESHSPEC_REQUIRE_EXAMPLES=1 (CI), as the examples' tests do.
func requireNpm(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("npm"); err == nil {
		return
	}
	reason := "npm not found: the npm packages' checks need Node.js 20 with npm"
	if os.Getenv("REFRESHSPEC_REQUIRE_EXAMPLES") == "1" {
		t.Fatal(reason + " (REFRESHSPEC_REQUIRE_EXAMPLES=1)")
	}
	t.Skip(reason + "; set REFRESHSPEC_REQUIRE_EXAMPLES=1 to make this a failure")
}
