package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/refreshspec/refreshspec/internal/runner"
)

// WriteMarkdown writes a short Markdown summary of res, for a CI job's page
// ($GITHUB_STEP_SUMMARY): the verdict, the counts, and a table of every
// scenario that did not pass.
func WriteMarkdown(w io.Writer, res runner.Result) error {
	passed, failed, skipped := res.Counts()
	var b strings.Builder
	verdict := "✅ " + Verdict(res)
	switch {
	case res.Interrupted != "":
		verdict = "⏹️ " + Verdict(res)
	case res.Inconclusive():
		verdict = "⚠️ " + InconclusiveVerdict
	case !res.Conformant():
		verdict = "❌ " + Verdict(res)
	}
	strict := ""
	if res.Strict {
		strict = " (strict)"
	}
	fmt.Fprintf(&b, "## refreshspec %s: %s%s\n\n", suiteName(res.Suite), verdict, strict)
	fmt.Fprintf(&b, "%d passed, %d failed, %d skipped in %s\n\n", passed, failed, skipped, seconds(res.Duration)+" s")
	for _, f := range res.SuiteFailures {
		fmt.Fprintf(&b, "- **suite error**: %s\n", cell(f))
	}
	for _, id := range res.StaleAccepts() {
		fmt.Fprintf(&b, "- accepted %s passed in this run: drop it from the accept list (%s)\n", id, cell(res.Accept[id]))
	}
	var rows []runner.ScenarioResult
	for _, r := range res.Scenarios {
		if r.State != runner.Passed || len(r.Measured) > 0 {
			rows = append(rows, r)
		}
	}
	if len(rows) > 0 {
		b.WriteString("| ID | level | result | title | details |\n|---|---|---|---|---|\n")
		for _, r := range rows {
			result := string(r.State)
			if r.Accepted != "" {
				result = "ACCEPTED"
			}
			if note := FailureNote(r); note != "" {
				result += " (" + note + ")"
			}
			details := r.Message
			if len(r.Measured) > 0 {
				details = strings.TrimSpace(details + " measured: " + strings.Join(r.Measured, "; "))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.ID, r.Level, result, cell(r.Title), cell(summaryLine(details)))
		}
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("markdown summary: %w", err)
	}
	return nil
}

func cell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", "\\|")
}
