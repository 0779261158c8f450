package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// maxContainerSuite is issue 7's target for the proxy suite with the
// container backend, container start included.
const maxContainerSuite = 30 * time.Second

// suiteRow is row 5: wall time of the whole P suite against the reference
// binary with the container and with the local fake backend, and of the
// whole B suite against a fake backend binary, each by running the built
// refreshspec binary as a user would.
func suiteRow(ctx context.Context, o Options) row {
	r := row{num: 5, title: "suite wall time: refreshspec binary, whole P suite vs the reference binary, whole B suite vs a fake backend binary"}
	switch {
	case o.RefreshspecBin == "":
		return r.fail(errors.New("the refreshspec binary was not built"))
	case o.ReferenceBin == "" || o.FakebackendBin == "":
		return r.fail(errors.New("the reference and fake backend binaries were not built"))
	}
	dir, err := os.MkdirTemp("", "refreshbench-suite-")
	if err != nil {
		return r.fail(err)
	}
	defer os.RemoveAll(dir)

	// Each run gets an equal share of what is left, so that one slow run
	// cannot starve the others of their measurement.
	runs := []struct {
		label  string
		target string
		run    func(ctx context.Context, report string) (suiteRun, error)
	}{
		{"P suite, --backend container (container start included)", fmt.Sprintf("< %s", maxContainerSuite), func(ctx context.Context, rep string) (suiteRun, error) {
			return runSuite(ctx, o.RefreshspecBin, rep, "proxy", "--target-cmd", o.ReferenceBin, "--backend", "container")
		}},
		{"P suite, --backend local", "", func(ctx context.Context, rep string) (suiteRun, error) {
			return runSuite(ctx, o.RefreshspecBin, rep, "proxy", "--target-cmd", o.ReferenceBin, "--backend", "local")
		}},
		{"B suite vs a fake backend binary (B2.8 is opt-in: skipped)", "", func(ctx context.Context, rep string) (suiteRun, error) {
			p, apiURL, ctl, err := startFakebackendProcess(ctx, o.FakebackendBin)
			if err != nil {
				return suiteRun{}, err
			}
			defer p.stop()
			// Without --rate-limit-burst: B2.8 is opt-in, and the rate limit it
			// meets would stay in force for the scenarios after it.
			return runSuite(ctx, o.RefreshspecBin, rep, "backend", "--target-url", apiURL, "--control-url", ctl.BaseURL(),
				"--email", benchEmail, "--password", benchPassword)
		}},
	}
	for i, run := range runs {
		share := remaining(ctx) / time.Duration(len(runs)-i)
		runCtx, cancel := context.WithTimeout(ctx, share)
		res, err := run.run(runCtx, filepath.Join(dir, fmt.Sprintf("run%d.json", i)))
		cancel()
		if err != nil {
			r.add(run.label, "not available: "+err.Error(), run.target, "")
			continue
		}
		v := ""
		if run.target != "" && res.completed {
			v = verdict(res.wall < maxContainerSuite)
		}
		r.add(run.label, res.String(), run.target, v)
	}
	return r
}

// remaining is the time left before ctx's deadline (a minute without one).
func remaining(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return time.Until(dl)
	}
	return time.Minute
}

// suiteSummary is the summary of refreshspec's JSON report (report.JSONSummary,
// a published format); read here by its field names so that the bench does
// not link the suites it times.
type suiteSummary struct {
	Passed   int     `json:"passed"`
	Failed   int     `json:"failed"`
	Skipped  int     `json:"skipped"`
	Duration float64 `json:"duration"`
}

// suiteRun is one run of the refreshspec binary.
type suiteRun struct {
	wall      time.Duration
	exitCode  int
	completed bool // it ended by itself, within its share of the budget
	summary   *suiteSummary
	output    string // the tail of its output, for a failed run
}

func (s suiteRun) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6.1fs", s.wall.Seconds())
	if !s.completed {
		b.WriteString(" (stopped at the row's bound, not finished)")
		return b.String()
	}
	fmt.Fprintf(&b, "  exit %d", s.exitCode)
	if s.summary != nil {
		fmt.Fprintf(&b, ", %d passed, %d failed, %d skipped (suite's own timer %.1fs)", s.summary.Passed, s.summary.Failed, s.summary.Skipped, s.summary.Duration)
	} else if s.output != "" {
		fmt.Fprintf(&b, ", no report: %s", s.output)
	}
	return b.String()
}

// runSuite runs the refreshspec binary with args plus a JSON report and a
// timeout just inside ctx's deadline, and times it.
func runSuite(ctx context.Context, bin, reportPath string, args ...string) (suiteRun, error) {
	timeout := remaining(ctx) - 2*time.Second
	if timeout <= 0 {
		return suiteRun{}, errors.New("no time left in the budget")
	}
	args = append(args, "--json-report", reportPath, "--timeout", timeout.Round(time.Second).String())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = os.Environ()
	// As the Makefile does: Ryuk would have to be pulled, and published
	// ports are on loopback. The caller's environment wins.
	for _, kv := range []string{"TESTCONTAINERS_RYUK_DISABLED=true", "TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1"} {
		if k, _, _ := strings.Cut(kv, "="); os.Getenv(k) == "" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out := &tailBuffer{max: 4 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	res := suiteRun{wall: time.Since(start), completed: ctx.Err() == nil}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.exitCode = exit.ExitCode()
	case !res.completed:
	default:
		return suiteRun{}, fmt.Errorf("running %s: %w", bin, err)
	}
	if raw, err := os.ReadFile(reportPath); err == nil {
		var rep struct {
			Summary *suiteSummary `json:"summary"`
		}
		if json.Unmarshal(raw, &rep) == nil {
			res.summary = rep.Summary
		}
	}
	if res.summary == nil {
		res.output = lastLine(out.String())
	}
	return res, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
