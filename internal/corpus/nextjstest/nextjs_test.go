package nextjstest

import (
	"github.com/refreshspec/refreshspec/internal/corpus"

	"context"
	"slices"
	"testing"
	"time"
)

var nextDir = corpus.App("nextjs-iron-session")

// nextPlantedBugs are the example's deliberate defects (PLANTED_BUG=name,
// read at run time, so that the one build serves them all), each with the
// scenario that must catch it. The middleware that bare-rotated-cookie
// breaks serves the page only; P1.2's own spec rotates on the page as well
// as on the api route, so focusing it alone meets the bug.
var nextPlantedBugs = []corpus.PlantedBug{
	{Name: "bare-rotated-cookie", ID: "P1.2"},
	{Name: "forgotten-refresh", ID: "P7.1"},
}

// TestNextJSIronSession builds the Next.js example with npm and runs the
// refreshspec binary against it as a team would in CI: the proxy suite and
// the browser scenarios, with the containerized fake backend. The fixed app
// must be conformant in strict mode; it reads cookies as stock iron-session
// does, which opens a valid seal with bytes appended (P8.1 measures that).
// The same app running the seed design as written (SEED_AS_WRITTEN=1) must
// not be, and must fail the scenarios its README lists. Each planted bug,
// run on the same build with the in-process fake backend and focused on its
// scenario, must fail that scenario and only that one.
//
// It needs npm (Node.js 20), Chromium and a Docker engine; without them it
// skips, unless REFRESHSPEC_REQUIRE_EXAMPLES=1 (CI) turns the skip into a
// failure. `go test -short` skips it.
func TestNextJSIronSession(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the Next.js build takes about a minute")
	}
	corpus.RequireTools(t)
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()

	start := time.Now()
	corpus.NPMCI(ctx, t, nextDir)
	corpus.NPM(ctx, t, nextDir, "run", "build")
	t.Logf("npm ci + next build: %s", time.Since(start).Round(time.Second))

	bin := corpus.RefreshspecBinary(ctx, t)

	fixed, code := corpus.SuiteRun{Dir: nextDir, Profile: "refreshspec.yaml", Flags: []string{"--browser", "--strict"}}.Run(ctx, t, bin)
	corpus.ExpectOnly(t, "the fixed example", fixed, code, nil)

	seed, code := corpus.SuiteRun{Dir: nextDir, Profile: "refreshspec-seed.yaml", Flags: []string{"--browser"}}.Run(ctx, t, bin)
	if code != 1 {
		t.Errorf("the seed as written should fail the run (exit 1), got exit %d", code)
	}
	// The failures the example's README explains, each a flaw of the seed.
	for _, id := range []string{"P2.1", "P3.1", "P3.2", "P5.1", "P5.3", "P7.1", "W1.3"} {
		if !slices.Contains(seed.Failed(), id) {
			t.Errorf("the seed as written should fail %s; failed: %v", id, seed.Failed())
		}
	}

	corpus.ExpectPlantedBugsCaught(ctx, t, bin, nextDir, "refreshspec.yaml", nextPlantedBugs, true)

	checkNpx(t)
}
