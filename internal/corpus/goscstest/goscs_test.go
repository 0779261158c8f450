package goscstest

import (
	"github.com/refreshspec/refreshspec/internal/corpus"

	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

var goSCSDir = corpus.App("go-scs")

// goSCSSkipped are the scenarios the correct app's run must skip: scs's
// cookie is a random session token that depends on no secret.
var goSCSSkipped = map[string]string{
	"P8.2": "depends on no SESSION_SECRET",
	"P8.3": "depends on no SESSION_SECRET",
}

var goSCSBugs = []corpus.PlantedBug{
	{Name: "put-after-write", ID: "P4.1"},
	{Name: "renew-on-refresh", ID: "P7.1"},
}

// TestGoSCSExample builds the Go example (net/http, alexedwards/scs
// server-side sessions, gorilla/csrf on its forms), a module of its own so
// that refreshspec's module does not grow, and runs refreshspec against it
// as TestExpressExamples does the Express apps: the proxy and browser
// suites in strict mode with the containerized fake backend, where the
// correct app must pass every scenario but goSCSSkipped; then
// each planted bug, focused on the scenario that must catch it.
//
// The app is the suite's check on a Go stack whose cookie depends on no
// secret (target.env_names.session_secret: none), whose session store
// commits when the answer is first written, and whose CSRF token goes back
// in a header (proxy.csrf send: header:X-CSRF-Token).
//
// It needs the go command (it builds the example), Chromium and Docker,
// and skips without the last two unless REFRESHSPEC_REQUIRE_EXAMPLES=1;
// `go test -short` skips it.
func TestGoSCSExample(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the Go example runs the whole suite")
	}
	corpus.RequireDockerAndChromium(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()

	// The profile starts the app with `go run .`; building and vetting it
	// first fails here, clearly, on a broken example, and fills the build
	// cache so that the suite's starts and restarts do not compile.
	start := time.Now()
	for _, args := range [][]string{{"build", "-o", filepath.Join(t.TempDir(), "go-scs"), "."}, {"vet", "."}} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = goSCSDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v in %s: %v\n%s", args, goSCSDir, err, out)
		}
	}
	t.Logf("go build and vet in %s: %s", goSCSDir, time.Since(start).Round(100*time.Millisecond))

	bin := corpus.RefreshspecBinary(ctx, t)
	rep, code := corpus.SuiteRun{Dir: goSCSDir, Profile: "refreshspec.yaml", Flags: []string{"--browser", "--strict"}}.Run(ctx, t, bin)
	// gorilla/csrf refuses a post over https without a same-origin Origin or
	// Referer, which the suite sends as a browser does: no failure allowed.
	corpus.ExpectOnly(t, "the correct app", rep, code, nil)
	corpus.ExpectSkipped(t, "the correct app", rep, goSCSSkipped)

	corpus.ExpectPlantedBugsCaught(ctx, t, bin, goSCSDir, "refreshspec.yaml", goSCSBugs, false)
}
