package suitetest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// DialectRun is what one run of a suite in one mapping (EnvDialect)
// reported: the scenario IDs that passed, failed and were skipped.
type DialectRun struct {
	Dialect                 string
	Passed, Failed, Skipped []string
	// Took is the child's whole run, set-up included.
	Took time.Duration
}

// RunInDialect runs test (a Ginkgo suite test of this binary, such as
// "TestProxySuite") once more in a child process, in the named mapping:
// against an in-process fake backend serving it, with the reference binary
// bin (built once by the caller), so that a mapping costs the suite's own
// run and no build. A child whose suite failed outside its specs is an error.
func RunInDialect(ctx context.Context, test, dialect, bin string, args ...string) (DialectRun, string, error) {
	run := DialectRun{Dialect: dialect}
	child := Child{
		Test: test,
		Env: append(os.Environ(), EnvDialect+"="+dialect, EnvReferenceBin+"="+bin,
			EnvBackend+"=local", EnvBackendURL+"=", EnvControlURL+"=", EnvMutant+"="),
		Args: append([]string{"-test.count=1", "-ginkgo.no-color"}, args...),
	}
	start := time.Now()
	reports, out, err := child.Run(ctx)
	run.Took = time.Since(start)
	if err != nil {
		return run, out, err
	}
	if _, err := FailedIDs(reports); err != nil {
		return run, out, err
	}
	for _, r := range reports {
		for _, s := range r.SpecReports {
			if s.LeafNodeType != types.NodeTypeIt {
				continue
			}
			id := ScenarioID(s)
			switch {
			case s.State.Is(types.SpecStateFailureStates):
				run.Failed = appendOnce(run.Failed, id)
			case s.State == types.SpecStateSkipped:
				run.Skipped = appendOnce(run.Skipped, id)
			case s.State == types.SpecStatePassed:
				run.Passed = appendOnce(run.Passed, id)
			}
		}
	}
	if len(run.Passed)+len(run.Failed) == 0 {
		return run, out, fmt.Errorf("the %s run ran no spec", dialect)
	}
	return run, out, nil
}

func appendOnce(ids []string, id string) []string {
	if slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}

// String is one line of a summary table.
func (r DialectRun) String() string {
	return fmt.Sprintf("%-7s passed %2d, failed %d %v, skipped %d %v, in %s", r.Dialect, len(r.Passed), len(r.Failed),
		strings.Join(r.Failed, " "), len(r.Skipped), strings.Join(r.Skipped, " "), r.Took.Round(100*time.Millisecond))
}

// CheckEveryDialect builds the reference once, runs test once per mapping of
// DialectNames against it (RunInDialect), and fails t for every scenario
// that failed in a mapping, and for a mapping that skipped other scenarios
// than the first (contract.md §1) did. It logs a line per mapping. It skips
// under -short, and in a child run (a mutant's or a mapping's) of its own.
func CheckEveryDialect(t *testing.T, test string, args ...string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("skipped in -short mode: it runs %s once per mapping", test)
	}
	if os.Getenv(EnvMutant) != "" || os.Getenv(EnvDialect) != "" {
		t.Skip("this process is itself a mutant's or a mapping's run")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	bin, err := BuildReference(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var runs []DialectRun
	for _, name := range DialectNames {
		run, out, err := RunInDialect(ctx, test, name, bin, args...)
		if err != nil {
			t.Fatalf("%s in the %s mapping: %v\n%s", test, name, err, tailLines(out, 80))
		}
		runs = append(runs, run)
		if len(run.Failed) > 0 {
			t.Errorf("%s in the %s mapping: %v failed\n%s", test, name, run.Failed, tailLines(out, 80))
		}
		if !slices.Equal(run.Skipped, runs[0].Skipped) {
			t.Errorf("%s in the %s mapping skipped %v, want what %s skipped: %v", test, name, run.Skipped, runs[0].Dialect, runs[0].Skipped)
		}
	}
	var lines []string
	for _, r := range runs {
		lines = append(lines, r.String())
	}
	t.Logf("%s against the reference in each mapping:\n%s", test, strings.Join(lines, "\n"))
}

// tailLines is the last n lines of s, where a child's output summarises.
func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
