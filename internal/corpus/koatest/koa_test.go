package koatest

import (
	"context"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/internal/corpus"
)

// koaApp is the Koa example: koa-session with an external store, so the
// cookie holds a session id signed in its companion koa.sess.sig. Its
// in-memory store loses sessions on a restart, so P8.2 and P8.3 cannot be
// shown; nothing is allowed to fail.
var koaApp = corpus.NodeApp{
	Dir:     corpus.App("koa-session"),
	Profile: "refreshspec.yaml",
	Skipped: map[string]string{
		"P8.2": "does not survive a restart",
		"P8.3": "does not survive a restart",
	},
	Bugs: []corpus.PlantedBug{
		{Name: "unshared-refresh", ID: "P7.1"},
		{Name: "retry-drops-body", ID: "P2.3"},
		{Name: "logout-only-on-200", ID: "P8.7"},
	},
}

// TestKoaExample runs refreshspec against the Koa 3 example (checkNodeApp):
// koa-session keeps the tokens in its external store and the cookies module
// signs the session id with app.keys (keygrip) into a second cookie,
// koa.sess.sig, which the suite must hold, replay, tamper with and see
// cleared along with koa.sess. Koa's cookies module refuses a Secure
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
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	corpus.CheckNodeApp(ctx, t, corpus.RefreshspecBinary(ctx, t), koaApp)
}
