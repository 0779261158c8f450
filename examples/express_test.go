package examples

import (
	"context"
	"testing"
	"time"
)

// nodeApp is a Node.js example (npm ci, no build step) and what
// refreshspec must say about it.
type nodeApp struct {
	dir, profile string
	// allowed are the scenarios the correct app may fail, each with the
	// reason: a SHOULD its library really misses (the app's README lists
	// them), or a false failure of a check another part of the suite still
	// has to fix.
	allowed map[string]string
	// skipped are the scenarios the correct app's run must report as
	// skipped, with a word of the reason: ones that cannot be shown on
	// this stack, which must never pass.
	skipped map[string]string
	bugs    []plantedBug
}

// plantedBug is a deliberate defect of an app (PLANTED_BUG=name) and the
// scenario that must catch it.
type plantedBug struct {
	name, id string
}

var expressApps = []nodeApp{
	{
		dir:     "express-iron-session",
		profile: "refreshspec.yaml",
		bugs: []plantedBug{
			{name: "unsaved-rotation", id: "P4.1"},
			{name: "logout-on-any-error", id: "P6.1"},
		},
	},
	{
		dir:     "express-session",
		profile: "refreshspec.yaml",
		skipped: map[string]string{
			"P8.2": "does not survive a restart",
			"P8.3": "does not survive a restart",
		},
		bugs: []plantedBug{
			{name: "unshared-refresh", id: "P7.1"},
			{name: "logout-skips-backend", id: "P8.5"},
		},
	},
}

// TestExpressExamples runs refreshspec against each Express example as a
// team would in CI (checkNodeApp).
//
// The two apps are the suite's check on stacks other than the reference's:
// express-session keeps its tokens in a server-side store behind a session
// id (proxy.session: server), protects its login with a CSRF token in the
// login form (proxy.csrf) and sets its Secure cookie only behind a
// TLS-terminating proxy (X-Forwarded-Proto); express-iron-session reads
// cookies as stock iron-session does (a seal with bytes appended opens).
// Each would fail a suite without those fixes.
//
// Like TestNextJSIronSession it needs npm, Chromium and Docker, and skips
// without them unless REFRESHSPEC_REQUIRE_EXAMPLES=1; `go test -short` skips it.
func TestExpressExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the Express examples run the whole suite twice")
	}
	requireTools(t)
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	bin := refreshspecBinary(ctx, t)

	for _, app := range expressApps {
		t.Run(app.dir, func(t *testing.T) { checkNodeApp(ctx, t, bin, app) })
	}
}

// checkNodeApp installs a Node.js example's locked packages and runs
// refreshspec against it: the proxy and browser suites in strict mode with
// the containerized fake backend, where the correct app may fail only its
// allowed scenarios and must skip the ones it cannot show; then each
// planted bug, focused on the scenario that must catch it (with the
// in-process fake backend, to keep the run short), which must fail.
func checkNodeApp(ctx context.Context, t *testing.T, bin string, app nodeApp) {
	t.Helper()
	npmCI(ctx, t, app.dir)
	rep, code := suiteRun{dir: app.dir, profile: app.profile, flags: []string{"--browser", "--strict"}}.run(ctx, t, bin)
	expectOnly(t, "the correct app", rep, code, app.allowed)
	expectSkipped(t, "the correct app", rep, app.skipped)

	expectPlantedBugsCaught(ctx, t, bin, app.dir, app.profile, app.bugs, false)
}
