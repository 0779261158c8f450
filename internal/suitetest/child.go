package suitetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshspec/refreshspec/internal/harness"
)

// Child is one more run of a Ginkgo suite test, in a child process of this
// test binary: Ginkgo runs a suite once per process, so a mutation test that
// re-runs the suite against each defect needs one process a run.
type Child struct {
	// Test is the test function that runs the suite, such as
	// "TestProxySuite"; the child runs only it.
	Test string
	// Env is the child's whole environment; nil is this process's.
	Env []string
	// Args are more flags for the child, such as "-test.timeout=3m".
	Args []string
}

// Run runs the child until it ends or ctx is done, and returns the suites of
// its Ginkgo JSON report with everything it printed. The child's exit status
// is not an error, since a suite that catches a defect fails: only a child
// that leaves no readable report is, and then the output says why.
func (c Child) Run(ctx context.Context) (reports []types.Report, output string, err error) {
	dir, err := os.MkdirTemp("", "refreshspec-child-")
	if err != nil {
		return nil, "", fmt.Errorf("a directory for the child's report: %w", err)
	}
	defer os.RemoveAll(dir)
	report := filepath.Join(dir, "report.json")
	args := append([]string{"-test.run=^" + c.Test + "$", "-ginkgo.json-report=" + report}, c.Args...)
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = c.Env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	raw, err := os.ReadFile(report)
	if err != nil {
		return nil, out.String(), fmt.Errorf("no Ginkgo report (the child's exit: %v): %w", runErr, err)
	}
	if err := json.Unmarshal(raw, &reports); err != nil {
		return nil, out.String(), fmt.Errorf("reading the Ginkgo report: %w", err)
	}
	return reports, out.String(), nil
}

// ScenarioID is the scenario ID a spec's name begins with ("P2.1 page
// request refreshes once" is P2.1): the catalogue's name for what failed.
func ScenarioID(s types.SpecReport) string {
	id, _, _ := strings.Cut(s.LeafNodeText, " ")
	return id
}

// FailedIDs returns the scenario IDs of the specs that failed, in order,
// without repeats, with the scenarios whose failure a spec found for them
// (harness.FailFor: a leak the browser's traffic shows is P8.4's). It is an
// error when the suite failed before any spec ran or its BeforeSuite
// failed: a defect is not caught by a run that never reached it.
func FailedIDs(reports []types.Report) ([]string, error) {
	var ids []string
	for _, r := range reports {
		if !r.SuiteSucceeded && len(r.SpecReports) == 0 {
			return nil, fmt.Errorf("the suite failed before any spec ran: %v", r.SpecialSuiteFailureReasons)
		}
		for _, s := range r.SpecReports {
			if !s.State.Is(types.SpecStateFailureStates) {
				continue
			}
			if s.LeafNodeType == types.NodeTypeBeforeSuite {
				return nil, fmt.Errorf("BeforeSuite failed: %s", s.Failure.Message)
			}
			if s.LeafNodeType != types.NodeTypeIt {
				continue
			}
			if id := ScenarioID(s); !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
			for _, e := range s.ReportEntries {
				var also harness.AlsoFailed
				if e.Name != harness.AlsoFailedEntry || json.Unmarshal([]byte(e.Value.AsJSON), &also) != nil {
					continue
				}
				if !slices.Contains(ids, also.ID) {
					ids = append(ids, also.ID)
				}
			}
		}
	}
	return ids, nil
}
