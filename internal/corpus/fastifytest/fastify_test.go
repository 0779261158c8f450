package fastifytest

import (
	"github.com/refreshspec/refreshspec/internal/corpus"

	"context"
	"testing"
	"time"
)

// fastifyApp is the Fastify example: its correct app passes everything a
// single instance can show, so nothing is allowed to fail.
var fastifyApp = corpus.NodeApp{
	Dir:     corpus.App("fastify-secure-session"),
	Profile: "refreshspec.yaml",
	Bugs: []corpus.PlantedBug{
		{Name: "mutated-session", ID: "P4.1"},
		{Name: "untrusted-proxy", ID: "P1.2"},
	},
}

// TestFastifyExample runs refreshspec against the Fastify 5 example
// (checkNodeApp): @fastify/secure-session seals the session into the cookie
// with libsodium and reseals it under the first of its keys, and
// @fastify/csrf-protection keeps its secret in that sealed session, so the
// login page sets a session cookie before anyone logs in and every page that
// renders a form may reseal it. Its planted bugs are the stack's own: tokens
// changed in place, which secure-session never seals (it seals after set()
// or touch() only), and Fastify's default trustProxy: false under a
// secure: 'auto' cookie, which behind a TLS-terminating proxy is never
// Secure.
//
// Like TestExpressExamples it needs npm, Chromium and Docker, and skips
// without them unless REFRESHSPEC_REQUIRE_EXAMPLES=1; `go test -short`
// skips it.
func TestFastifyExample(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the Fastify example runs the whole suite")
	}
	corpus.RequireTools(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	corpus.CheckNodeApp(ctx, t, corpus.RefreshspecBinary(ctx, t), fastifyApp)
}
