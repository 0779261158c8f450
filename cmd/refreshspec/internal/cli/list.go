package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/refreshspec/refreshspec/catalogue"
)

func runList(_ context.Context, args []string, e env) error {
	fs := flag.NewFlagSet("refreshspec list", flag.ContinueOnError)
	var focus, skip listFlag
	var suite string
	var markdown bool
	fs.Var(&focus, "focus", "list only these scenarios: IDs, groups, suites or levels, comma-separated")
	fs.Var(&skip, "skip", "leave these scenarios out")
	fs.StringVar(&suite, "suite", "", "list one suite: P (proxy), W (browser) or B (backend)")
	fs.BoolVar(&markdown, "markdown", false, "print docs/scenarios.md: the whole catalogue as Markdown, requirements in full")
	fs.Usage = usageFunc(fs, "refreshspec list [--suite P|W|B] [--focus ...] [--skip ...] [--markdown]")
	if err := parse(fs, args, e.stderr); err != nil {
		return err
	}
	if markdown {
		_, err := io.WriteString(e.stdout, catalogue.Markdown())
		return err
	}
	if err := catalogue.CheckPatterns(focus); err != nil {
		return usagef("--focus: %v", err)
	}
	if err := catalogue.CheckPatterns(skip); err != nil {
		return usagef("--skip: %v", err)
	}
	scenarios := catalogue.All()
	if suite != "" {
		if scenarios = catalogue.Suite(suite); len(scenarios) == 0 {
			return usagef("--suite: %q is not one of P, W, B", suite)
		}
	}
	for _, s := range scenarios {
		if len(focus) > 0 && !catalogue.Match(s, focus) || catalogue.Match(s, skip) {
			continue
		}
		fmt.Fprintf(e.stdout, "%-6s %-6s %s\n", s.ID, s.Level, s.Title)
	}
	return nil
}
