package browsertest

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/spec/internal/suitetest"
)

// TestBrowserSuiteInEveryDialect runs the W suite in Chromium against the
// reference once per mapping of suitetest.DialectNames, each in a child
// process: the fake backend serves the mapping and the reference speaks it,
// its profile page's script reading the first name where the mapping's me
// answer keeps it. Every scenario must pass in each, and the same ones be
// skipped as in contract.md §1. The children share one reference build.
func TestBrowserSuiteInEveryDialect(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: it runs the W suite once per mapping")
	}
	if os.Getenv(envMutant) != "" || os.Getenv(suitetest.EnvDialect) != "" {
		t.Skip("this process is itself a mutant's or a mapping's run")
	}
	requireChromium(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	bin, err := suitetest.BuildReference(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var runs []suitetest.DialectRun
	for _, name := range suitetest.DialectNames {
		run, out, err := suitetest.RunInDialect(ctx, "TestBrowserSuite", name, bin, "-test.timeout=5m")
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		runs = append(runs, run)
		if len(run.Failed) > 0 {
			t.Errorf("%s: %v failed\n%s", name, run.Failed, out)
		}
		if !slices.Equal(run.Skipped, runs[0].Skipped) {
			t.Errorf("%s: skipped %v, want what %s skipped: %v", name, run.Skipped, runs[0].Dialect, runs[0].Skipped)
		}
	}
	var lines []string
	for _, r := range runs {
		lines = append(lines, r.String())
	}
	t.Logf("the W suite against the reference in each mapping:\n%s", strings.Join(lines, "\n"))
}
