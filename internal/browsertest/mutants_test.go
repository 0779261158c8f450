package browsertest

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshspec/refreshspec/fakebackend/container"
	"github.com/refreshspec/refreshspec/internal/mutant"
	"github.com/refreshspec/refreshspec/internal/suitetest"
)

// mutantTimeout bounds one re-run of the suite: building the fake backend,
// starting Chromium, and the scenario, which may wait out its step timeout.
const mutantTimeout = 10 * time.Minute

// TestBrowserMutants runs TestBrowserSuite again, in a child process (a
// Ginkgo suite runs once per process), against each mutant of the reference
// whose run is the browser suite's (internal/reference/mutants: a W scenario, or a
// P one with "Suite: W"), and checks that this scenario failed: a suite
// that passes a broken target has a hole.
//
// A child runs only the spec of that scenario (-ginkgo.focus), with what
// runs around it (Chromium started once, a fresh browser context). The test
// asserts no more than that this scenario fails, and no W spec depends on
// another: each logs in on its own in a context of its own. The other specs
// would only add their time, which for a browser is seconds each. The
// mutants are built ahead of the children, two at a time.
func TestBrowserMutants(t *testing.T) {
	if os.Getenv(envMutant) != "" {
		t.Skip("this process is itself a mutant run")
	}
	if testing.Short() {
		t.Skip("skipped in -short mode: it builds every W mutant and runs its scenario in Chromium")
	}
	requireChromium(t)
	if os.Getenv(envBackend) != "local" {
		container.RequireDocker(t)
	}
	ctx := t.Context()
	root, mutants, err := suitetest.Mutants(ctx, "W")
	if err != nil {
		t.Fatal(err)
	}
	builds := mutant.Prebuild(ctx, root, mutant.ReferenceCommand, mutants, t.TempDir(), 2)
	for _, m := range mutants {
		for _, dialect := range []string{suitetest.DialectJSON, suitetest.DialectOAuth2} {
			t.Run(m.Name+"/"+dialect, func(t *testing.T) {
				checkMutantCaught(t, ctx, builds, m, dialect)
			})
		}
	}
}

// checkMutantCaught runs m against the browser suite in the named mapping
// and checks that m's scenario failed: its own spec for a W scenario, or,
// for a P scenario whose failure only the page's own traffic shows
// (Suite: W), a failure of it that a W spec found.
func checkMutantCaught(t *testing.T, ctx context.Context, builds *mutant.Builds, m *mutant.Mutant, dialect string) {
	bin, err := builds.Wait(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	reports := runMutant(t, m, bin, dialect)
	if !strings.HasPrefix(m.Scenario, "W") {
		failed, err := suitetest.FailedIDs(reports)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(failed, m.Scenario) {
			t.Errorf("with the mutant %s, no W spec found a failure of %s; failed: %v", m.Name, m.Scenario, failed)
		} else {
			t.Logf("the W specs caught %s on %s; failed: %v", m.Name, m.Scenario, failed)
		}
		return
	}
	var failed []string
	found := false
	for _, s := range reports[0].SpecReports {
		if s.LeafNodeType != types.NodeTypeIt || s.State == types.SpecStateSkipped {
			continue // the other scenarios are not focused
		}
		t.Logf("%-7s %s", s.State, s.LeafNodeText)
		if s.State.Is(types.SpecStateFailureStates) {
			failed = append(failed, s.LeafNodeText)
		}
		if suitetest.ScenarioID(s) == m.Scenario {
			found = true
			if s.State != types.SpecStateFailed {
				t.Errorf("with the mutant %s, %s should fail but it %s", m.Name, s.LeafNodeText, s.State)
			} else {
				t.Logf("%s caught %s: %s", m.Scenario, m.Name, summary(s.Failure.Message))
			}
		}
	}
	if !found {
		t.Errorf("the mutant run has no spec %s; failed: %v", m.Scenario, failed)
	}
}

// runMutant re-runs TestBrowserSuite against the mutant's binary bin, in
// the named mapping (the fake backend serves it and the mutant speaks it),
// focused on m's scenario when it is a W one (every W spec otherwise), and
// returns its JSON report, which holds one suite.
func runMutant(t *testing.T, m *mutant.Mutant, bin, dialect string) []types.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), mutantTimeout)
	defer cancel()
	args := []string{"-test.timeout=" + mutantTimeout.String()}
	if strings.HasPrefix(m.Scenario, "W") {
		args = append(args, "-ginkgo.focus="+suitetest.FocusScenario(m.Scenario))
	}
	child := suitetest.Child{
		Test: "TestBrowserSuite",
		Env:  append(os.Environ(), envMutant+"="+m.Name, suitetest.EnvReferenceBin+"="+bin, suitetest.EnvDialect+"="+dialect),
		Args: args,
	}
	// The run fails when the mutant is caught, so its exit status says
	// nothing; the report says what failed.
	reports, out, err := child.Run(ctx)
	if err != nil {
		t.Fatalf("the mutant run: %v; its output:\n%s", err, out)
	}
	if len(reports) != 1 {
		t.Fatalf("the mutant run's report holds %d suites, want 1; its output:\n%s", len(reports), out)
	}
	for _, s := range reports[0].SpecReports {
		if s.LeafNodeType == types.NodeTypeBeforeSuite && s.State != types.SpecStatePassed {
			t.Fatalf("the mutant run's BeforeSuite %s: %s\n%s", s.State, s.Failure.Message, out)
		}
	}
	return reports
}

// summary is the first lines of a failure message, on one line: enough to
// see why the spec failed (Eventually's first line is only "Timed out").
func summary(msg string) string {
	var lines []string
	for line := range strings.SplitSeq(msg, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
		if len(lines) == 3 {
			break
		}
	}
	return strings.Join(lines, " / ")
}
