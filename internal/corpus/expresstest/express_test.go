package expresstest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/internal/corpus"
)

var expressApps = []corpus.NodeApp{
	{
		Dir:     corpus.App("express-iron-session"),
		Profile: "refreshspec.yaml",
		Bugs: []corpus.PlantedBug{
			{Name: "unsaved-rotation", ID: "P4.1"},
			{Name: "logout-on-any-error", ID: "P6.1"},
		},
	},
	{
		Dir:     corpus.App("express-session"),
		Profile: "refreshspec.yaml",
		Skipped: map[string]string{
			"P8.2": "does not survive a restart",
			"P8.3": "does not survive a restart",
		},
		Bugs: []corpus.PlantedBug{
			{Name: "unshared-refresh", ID: "P7.1"},
			{Name: "logout-skips-backend", ID: "P8.5"},
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
	corpus.RequireTools(t)
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	bin := corpus.RefreshspecBinary(ctx, t)

	for _, app := range expressApps {
		t.Run(filepath.Base(app.Dir), func(t *testing.T) { corpus.CheckNodeApp(ctx, t, bin, app) })
	}
}
