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
	"github.com/refreshspec/refreshspec/reference"
	"github.com/refreshspec/refreshspec/spec/internal/suitetest"
)

// browserBugs are the reference's deliberate defects that only a browser
// sees, each with the W scenario that must catch it. Any other bug that
// reference.BugScenario maps to a W scenario runs too.
var browserBugs = []mutant{
	// The reference also sets a cookie "tokens", without HttpOnly, holding
	// the access token: page scripts can read it.
	{"tokens-in-script-cookie", "W1.2"},
	// The profile page's #reload handler ignores a 401 from /api/me, so the
	// browser never leaves a page whose session is gone.
	{"no-client-redirect", "W1.4"},
}

// mutant is a bug of the reference and the scenario that must catch it.
type mutant struct{ bug, scenario string }

// mutants is browserBugs plus the reference's other bugs caught by a W
// scenario, in a stable order.
func mutants() []mutant {
	out := slices.Clone(browserBugs)
	for _, b := range reference.AllBugs {
		id := reference.BugScenario[b]
		known := slices.ContainsFunc(out, func(m mutant) bool { return m.bug == string(b) })
		if strings.HasPrefix(id, "W") && !known {
			out = append(out, mutant{string(b), id})
		}
	}
	return out
}

// mutantTimeout bounds one re-run of the suite: building the backend and the
// reference, starting Chromium, and five scenarios of which one waits out its
// step timeout.
const mutantTimeout = 10 * time.Minute

// TestBrowserMutants runs TestBrowserSuite again, in a child process, against
// each broken reference of browserBugs, and checks that the scenario named for
// the bug failed: a suite that passes a broken target has a hole. A child
// process, because a Ginkgo suite runs once per process.
func TestBrowserMutants(t *testing.T) {
	if os.Getenv(envMutant) != "" {
		t.Skip("this process is itself a mutant run")
	}
	if testing.Short() {
		t.Skip("skipped in -short mode: each mutant re-runs the whole browser suite")
	}
	requireChromium(t)
	if os.Getenv(envBackend) != "local" {
		container.RequireDocker(t)
	}
	for _, m := range mutants() {
		t.Run(m.bug, func(t *testing.T) {
			bug, err := reference.ParseBug(m.bug)
			if err != nil {
				t.Skipf("the reference has no bug %q yet (add it to reference.AllBugs)", m.bug)
			}
			if id, ok := reference.BugScenario[bug]; ok && id != m.scenario {
				t.Errorf("reference.BugScenario maps %q to %s, but it is the browser scenario %s that catches it", m.bug, id, m.scenario)
			}
			specs := runMutant(t, m.bug)
			var failed []string
			found := false
			for _, s := range specs {
				if s.LeafNodeType != types.NodeTypeIt {
					continue
				}
				t.Logf("%-7s %s", s.State, s.LeafNodeText)
				if s.State.Is(types.SpecStateFailureStates) {
					failed = append(failed, s.LeafNodeText)
				}
				if strings.HasPrefix(s.LeafNodeText, m.scenario+" ") {
					found = true
					if s.State != types.SpecStateFailed {
						t.Errorf("with the reference broken by %q, %s should fail but it %s", m.bug, s.LeafNodeText, s.State)
					} else {
						t.Logf("%s caught %q: %s", m.scenario, m.bug, summary(s.Failure.Message))
					}
				}
			}
			if !found {
				t.Errorf("the mutant run has no spec %s; failed: %v", m.scenario, failed)
			}
		})
	}
}

// runMutant re-runs TestBrowserSuite with the reference broken by bug and
// returns the specs of its JSON report.
func runMutant(t *testing.T, bug string) types.SpecReports {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), mutantTimeout)
	defer cancel()
	child := suitetest.Child{
		Test: "TestBrowserSuite",
		Env:  append(os.Environ(), envMutant+"="+bug),
		Args: []string{"-test.timeout=" + mutantTimeout.String()},
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
	r := reports[0]
	for _, s := range r.SpecReports {
		if s.LeafNodeType == types.NodeTypeBeforeSuite && s.State != types.SpecStatePassed {
			t.Fatalf("the mutant run's BeforeSuite %s: %s\n%s", s.State, s.Failure.Message, out)
		}
	}
	return r.SpecReports
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
