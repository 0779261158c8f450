package proxytest

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/spec/internal/suitetest"
)

// TestProxySuiteInEveryDialect runs the whole P suite against the reference
// once per mapping of suitetest.DialectNames (contract.md §1, an OAuth 2.0
// server, a team's own JSON backend), each in a child process: the fake
// backend serves the mapping, the reference speaks it (BACKEND_MAPPING), and
// the suite's own backend calls (P9.2's) use it. Every scenario must pass in
// each, and the same ones be skipped as in contract.md §1. The children share
// one reference build and serve the fake backend in their own process.
func TestProxySuiteInEveryDialect(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: it runs the P suite once per mapping")
	}
	if os.Getenv(envMutant) != "" || os.Getenv(suitetest.EnvDialect) != "" {
		t.Skip("this process is itself a mutant's or a mapping's run")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	bin, err := suitetest.BuildReference(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var runs []suitetest.DialectRun
	for _, name := range suitetest.DialectNames {
		run, out, err := suitetest.RunInDialect(ctx, "TestProxySuite", name, bin)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, tail(out, 60))
		}
		runs = append(runs, run)
		if len(run.Failed) > 0 {
			t.Errorf("%s: %v failed\n%s", name, run.Failed, tail(out, 80))
		}
		if !slices.Equal(run.Skipped, runs[0].Skipped) {
			t.Errorf("%s: skipped %v, want what %s skipped: %v", name, run.Skipped, runs[0].Dialect, runs[0].Skipped)
		}
	}
	var lines []string
	for _, r := range runs {
		lines = append(lines, r.String())
	}
	t.Logf("the P suite against the reference in each mapping:\n%s", strings.Join(lines, "\n"))
}
