package examples

// TestNextJSIronSession builds the Next.js example with npm and runs the
// refreshspec binary against it as a team would in CI: the proxy suite and
// the browser scenarios, with the containerized fake backend. The fixed app
// must be conformant in strict mode; the same app running the seed design as
// written (SEED_AS_WRITTEN=1) must not be, and must fail the scenarios its
// README lists.
//
// It needs npm (Node.js 20), Chromium and a Docker engine; without them it
// skips, unless REFRESHSPEC_REQUIRE_EXAMPLES=1 (CI) turns the skip into a
// failure. `go test -short` skips it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/spec"
)

const nextDir = "nextjs-iron-session"

func TestNextJSIronSession(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the Next.js build takes about a minute")
	}
	for _, tool := range []string{"npm", "docker"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, tool+" not found: the example needs Node.js 20 with npm, Chromium and a Docker engine")
		}
	}
	if _, err := spec.FindChromium(""); err != nil {
		skipOrFail(t, err.Error())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()

	start := time.Now()
	if _, err := os.Stat(filepath.Join(nextDir, "node_modules", ".package-lock.json")); err != nil {
		npm(ctx, t, "ci", "--no-audit", "--no-fund")
	}
	npm(ctx, t, "run", "build")
	t.Logf("npm ci + next build: %s", time.Since(start).Round(time.Second))

	bin := buildRefreshspec(ctx, t)

	start = time.Now()
	fixed, code := runSuite(ctx, t, bin, "refreshspec.yaml", "--strict")
	t.Logf("fixed app, P and W in Chromium: %s", time.Since(start).Round(time.Second))
	if code != 0 {
		t.Errorf("the fixed example should be conformant in strict mode (exit 0), got exit %d; failed: %v", code, fixed.failed())
	}

	start = time.Now()
	seed, code := runSuite(ctx, t, bin, "refreshspec-seed.yaml")
	t.Logf("seed as written: %s", time.Since(start).Round(time.Second))
	if code != 1 {
		t.Errorf("the seed as written should fail the run (exit 1), got exit %d", code)
	}
	// The failures the example's README explains, each a flaw of the seed.
	for _, id := range []string{"P2.1", "P3.2", "P5.1", "P7.1", "W1.3"} {
		if !slices.Contains(seed.failed(), id) {
			t.Errorf("the seed as written should fail %s; failed: %v", id, seed.failed())
		}
	}
}

type jsonReport struct {
	Scenarios []struct {
		ID    string `json:"id"`
		State string `json:"state"`
	} `json:"scenarios"`
}

func (r jsonReport) failed() []string {
	var ids []string
	for _, s := range r.Scenarios {
		if s.State == "failed" {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

func runSuite(ctx context.Context, t *testing.T, bin, profile string, flags ...string) (jsonReport, int) {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	args := append([]string{"proxy", "--browser", "--profile", profile, "--json-report", report}, flags...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = nextDir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("refreshspec %v: %v\n%s", args, err, out.String())
	}
	if code == 2 {
		t.Fatalf("refreshspec %v: set-up error (exit 2):\n%s", args, out.String())
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("refreshspec %v wrote no JSON report: %v\n%s", args, err, out.String())
	}
	var r jsonReport
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("JSON report: %v", err)
	}
	t.Logf("refreshspec %v (exit %d):\n%s", args, code, out.String())
	return r, code
}

func npm(ctx context.Context, t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "npm", args...)
	cmd.Dir = nextDir
	cmd.Env = append(os.Environ(), "NEXT_TELEMETRY_DISABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm %v: %v\n%s", args, err, out)
	}
}

// buildRefreshspec builds the CLI statically, as users install it, so that
// it can serve the fake backend from a FROM scratch image.
func buildRefreshspec(ctx context.Context, t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "refreshspec")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/refreshspec/refreshspec/cmd/refreshspec")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build refreshspec: %v\n%s", err, out)
	}
	return bin
}

func skipOrFail(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("REFRESHSPEC_REQUIRE_EXAMPLES") == "1" {
		t.Fatal(reason + " (REFRESHSPEC_REQUIRE_EXAMPLES=1)")
	}
	t.Skip(reason)
}
