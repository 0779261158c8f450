package koatest

import (
	"context"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/internal/corpus"
)

// koaApp is the Koa example: koa-session with an external store, so the
// cookie holds a session id signed in its companion koa.sess.sig. Its file
// store keeps sessions across the restarts of P8.2 and P8.3; nothing is
// allowed to fail.
var koaApp = corpus.NodeApp{
	Dir:     corpus.App("koa-session"),
	Profile: "refreshspec.yaml",
	Bugs: []corpus.PlantedBug{
		{Name: "unshared-refresh", ID: "P7.1"},
		{Name: "retry-drops-body", ID: "P2.3"},
		{Name: "logout-only-on-200", ID: "P8.7"},
		{Name: "default-resign", ID: "P8.3"},
		{Name: "keeps-session-id-at-login", ID: "P1.5"},
	},
}

// TestKoaExample runs refreshspec against the Koa 3 example (checkNodeApp):
// koa-session keeps the tokens in its external store and the cookies module
// signs the session id with app.keys (keygrip) into a second cookie,
// koa.sess.sig, which the suite must hold, replay, tamper with and see
// cleared along with koa.sess; when an older key of app.keys verified the
// signature, the cookies module signs it again with its own defaults (no
// SameSite), which the app corrects and PLANTED_BUG=default-resign leaves
// as it is (P8.3). Koa's cookies module refuses a Secure
// cookie on a request that was not https at the edge (app.proxy and
// X-Forwarded-Proto).
//
// Like TestExpressExamples it needs npm, Chromium and Docker, and skips
// without them unless REFRESHSPEC_REQUIRE_EXAMPLES=1; `go test -short`
// skips it.
func TestKoaExample(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the Koa example runs the whole suite")
	}
	corpus.RequireTools(t)
	// The profile's command keeps the sessions here (the target inherits
	// the CLI's environment): a folder of this run's own.
	t.Setenv("SESSION_STORE_DIR", t.TempDir())
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	corpus.CheckNodeApp(ctx, t, corpus.RefreshspecBinary(ctx, t), koaApp)
}
