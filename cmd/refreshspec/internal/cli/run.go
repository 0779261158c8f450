package cli

import (
	"context"
	"io"
	"time"

	"github.com/refreshspec/refreshspec/report"
	"github.com/refreshspec/refreshspec/runner"
)

// runSuite runs one suite with the common flags, prints the console report
// as the scenarios finish, writes the report files, and returns
// errNonConformant when a failure counts.
func runSuite(ctx context.Context, e env, f commonFlags, opts runner.Options) error {
	console := report.Console{W: e.stdout, Verbose: f.verbose}
	opts.Focus, opts.Skip, opts.Strict, opts.Verbose = f.focus, f.skip, f.strict, f.verbose
	opts.Out = e.stderr
	printed := map[string]bool{}
	opts.Progress = func(r runner.ScenarioResult) {
		printed[r.ID] = true
		console.Scenario(r)
	}
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
		path  string
		write func(io.Writer, runner.Result) error
	}{
		{f.junitReport, report.WriteJUnit},
		{f.jsonReport, report.WriteJSON},
		{f.markdownSummary, report.WriteMarkdown},
	} {
		if out.path == "" {
			continue
		}
		if err := report.WriteFile(out.path, res, out.write); err != nil {
			return setupf("%v", err)
		}
	}
	if !res.Conformant() {
		return errNonConformant
	}
	return nil
}
