package cli

import (
	"context"
	"io"
	"time"

	"github.com/refreshspec/refreshspec/internal/report"
	"github.com/refreshspec/refreshspec/internal/runner"
)

// runSuite runs one suite with the common flags, prints the console report
// as the scenarios finish, writes the report files, and returns
// errNonConformant when a failure counts, errInconclusive when every
// selected scenario was skipped.
func runSuite(ctx context.Context, e env, f commonFlags, opts runner.Options) error {
	console := report.Console{W: e.stdout, Verbose: f.verbose}
	opts.Focus, opts.Skip, opts.Strict, opts.Verbose = f.focus, f.skip, f.strict, f.verbose
	opts.Out = e.stderr
	printed := map[string]bool{}
	opts.Progress = func(r runner.ScenarioResult) {
		printed[r.ID] = true
		console.Scenario(r)
	}
	opts.Update = console.Update
	if deadline, ok := ctx.Deadline(); ok {
		opts.Timeout = time.Until(deadline)
	}
	res, err := runner.Run(ctx, opts)
	if err != nil {
		return &usageError{err}
	}
	for _, s := range res.Scenarios {
		if !printed[s.ID] { // no spec ran for it: it was never reported
			console.Scenario(s)
		}
	}
	console.Summary(res)
	for _, out := range []struct {
		path   string
		write  func(io.Writer, runner.Result) error
		append bool
	}{
		{f.junitReport, report.WriteJUnit, false},
		{f.jsonReport, report.WriteJSON, false},
		{f.markdownSummary, report.WriteMarkdown, true}, // $GITHUB_STEP_SUMMARY collects
	} {
		save := report.WriteFile
		if out.append {
			save = report.AppendFile
		}
		if out.path == "" {
			continue
		}
		if err := save(out.path, res, out.write); err != nil {
			return setupf("%v", err)
		}
	}
	if err := ctx.Err(); err != nil {
		// Interrupted or out of time: the scenarios not run are no verdict.
		return setupf("the run did not complete (%v); the reports hold what ran", context.Cause(ctx))
	}
	if res.Inconclusive() {
		return errInconclusive
	}
	if !res.Conformant() {
		return errNonConformant
	}
	return nil
}
