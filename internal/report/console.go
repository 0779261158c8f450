package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/internal/runner"
)

// Console writes the human-readable report: one line per scenario as it
// finishes, the requirement with expected and actual under each failure, and
// a closing line "N passed, N failed, N skipped".
type Console struct {
	W io.Writer
	// Verbose also prints the whole journal of failed scenarios and the
	// failure's location; otherwise the journal's last lines.
	Verbose bool
}

// journalLines is how much of a failed scenario's journal the console shows
// without -v.
const journalLines = 25

// Scenario prints one scenario's line and, for a failure or a skip, why.
func (c Console) Scenario(r runner.ScenarioResult) {
	line := scenarioLine(r)
	if note := FailureNote(r); note != "" {
		line += "  (" + note + ")"
	}
	fmt.Fprintln(c.W, line)
	for _, m := range r.Measured {
		fmt.Fprintf(c.W, "      measured: %s\n", m)
	}
	switch r.State {
	case runner.Skipped:
		if r.Message != "" {
			fmt.Fprintf(c.W, "      skipped: %s\n", oneLine(r.Message))
		}
	case runner.Failed:
		c.failure(r, true, true)
	}
}

// Update prints what a later spec added to a scenario printed before
// (runner.Options.Update): its line again, marked as an update, with the
// state it had above when that changed, and only what is new of its
// failure. The journal of the spec that found it, which belongs to another
// scenario, only with -v.
func (c Console) Update(r runner.ScenarioResult, was runner.State) {
	if r.Accepted != "" && was == runner.Failed {
		return // accepted above: the team knows it fails
	}
	note := "update"
	if was != r.State {
		note += ": reported " + marks[was] + " above"
	}
	if fn := FailureNote(r); fn != "" {
		note += "; " + fn
	}
	fmt.Fprintf(c.W, "%s  (%s)\n", scenarioLine(r), note)
	if r.State == runner.Failed {
		c.failure(r, was != runner.Failed, false)
	}
}

var marks = map[runner.State]string{runner.Passed: "PASS", runner.Failed: "FAIL", runner.Skipped: "SKIP"}

func scenarioLine(r runner.ScenarioResult) string {
	mark := marks[r.State]
	if r.Accepted != "" {
		mark = "ACCEPTED"
	}
	return fmt.Sprintf("%s  %-6s %-6s %s", mark, r.ID, r.Level, r.Title)
}

// failure prints why a scenario failed: the requirement (unless printed
// above), the message and the journal, whole with -v; without -v its last
// lines, or none unless journal.
func (c Console) failure(r runner.ScenarioResult, requirement, journal bool) {
	if r.Accepted != "" {
		// The team knows this failure: why it is accepted, and the
		// failure's first line, so a change of it shows.
		fmt.Fprintf(c.W, "      accepted: %s\n      the failure: %s\n", oneLine(r.Accepted), summaryLine(r.Message))
		return
	}
	if requirement {
		fmt.Fprintf(c.W, "      requirement: %s\n", r.Requirement)
	}
	fmt.Fprintln(c.W, indent(r.Message, "      "))
	if c.Verbose && r.Location != "" {
		fmt.Fprintf(c.W, "      at %s\n", r.Location)
	}
	j := strings.TrimSpace(r.Journal)
	switch {
	case j == "", !journal && !c.Verbose:
		return
	case !c.Verbose:
		j = lastLines(j, journalLines)
	}
	fmt.Fprintf(c.W, "      what the spec recorded (backend journal):\n%s\n", indent(j, "        "))
}

// InconclusiveVerdict is the verdict of a run in which every selected
// scenario was skipped (runner.Result.Inconclusive): it checked nothing.
const InconclusiveVerdict = "inconclusive: every selected scenario was skipped"

// Summary prints the failures outside any scenario, the accepted
// scenarios that passed, and the closing lines.
func (c Console) Summary(res runner.Result) {
	for _, f := range res.SuiteFailures {
		fmt.Fprintf(c.W, "suite error: %s\n", indent(f, "  ")[2:])
	}
	for _, id := range res.StaleAccepts() {
		fmt.Fprintf(c.W, "accepted %s passed in this run: drop it from the accept list (its reason: %s)\n", id, oneLine(res.Accept[id]))
	}
	passed, failed, skipped := res.Counts()
	mode := ""
	if res.Strict {
		mode = ", strict"
	}
	// The verdict first, then the counts alone on the closing line, the way
	// test runners end, so CI logs and scripts can read it.
	fmt.Fprintf(c.W, "verdict: %s (%s suite%s, %s)\n", Verdict(res), suiteName(res.Suite), mode, res.Duration.Round(100*time.Millisecond))
	fmt.Fprintf(c.W, "%d passed, %d failed, %d skipped\n", passed, failed, skipped)
}

// Verdict is the run's verdict in a line: "conformant", with the SHOULD
// failures and accepted failures that did not fail it; "NOT conformant" and
// what failed; "interrupted" for a run that stopped before its end, whatever
// it found; or inconclusive.
func Verdict(res runner.Result) string {
	switch {
	case res.Interrupted != "":
		return "interrupted (" + oneLine(res.Interrupted) + "): no verdict; the reports hold what ran"
	case res.Inconclusive():
		return InconclusiveVerdict
	case !res.Conformant():
		var fatal []string
		for _, s := range res.Scenarios {
			if s.FailsRun {
				fatal = append(fatal, s.ID)
			}
		}
		if len(fatal) > 0 {
			return "NOT conformant: " + strings.Join(fatal, ", ") + " failed"
		}
		return "NOT conformant: " + summaryLine(res.SuiteFailures[0])
	}
	verdict := "conformant"
	if ids := res.FailedWithoutFailingRun(catalogue.Should); len(ids) > 0 {
		verdict += fmt.Sprintf("; %d SHOULD failed: %s", len(ids), strings.Join(ids, ", "))
	}
	if ids := res.AcceptedFailures(); len(ids) > 0 {
		verdict += fmt.Sprintf("; %d accepted: %s", len(ids), strings.Join(ids, ", "))
	}
	return verdict
}

// WriteConsole prints a whole result at once: every scenario in catalogue
// order, then the summary.
func WriteConsole(w io.Writer, res runner.Result, verbose bool) {
	c := Console{W: w, Verbose: verbose}
	for _, s := range res.Scenarios {
		c.Scenario(s)
	}
	c.Summary(res)
}

// FailureNote says how a failed scenario counts when its level keeps it from
// failing the run; empty otherwise.
func FailureNote(r runner.ScenarioResult) string {
	if r.State != runner.Failed || r.FailsRun {
		return ""
	}
	if r.Accepted != "" {
		return "accepted: " + summaryLine(r.Accepted)
	}
	switch r.Level {
	case catalogue.Should:
		return "not fatal without --strict"
	case catalogue.Must:
		return "its SHOULD part: not fatal without --strict"
	case catalogue.Info:
		return "INFO: never fails the run"
	}
	return "not fatal"
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return fmt.Sprintf("[%d earlier lines; -v shows all]\n%s", len(lines)-n, strings.Join(lines[len(lines)-n:], "\n"))
}
