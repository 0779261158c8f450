package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/refreshspec/refreshspec/internal/runner"
)

// JSONReport is the document --json-report writes; its field names are a
// published format (docs/cli.md), so they change only by addition.
type JSONReport struct {
	Suite         string         `json:"suite"`
	Scenarios     []JSONScenario `json:"scenarios"`
	SuiteFailures []string       `json:"suite_failures,omitempty"`
	Summary       JSONSummary    `json:"summary"`
}

// JSONScenario is one scenario's result.
type JSONScenario struct {
	ID          string   `json:"id"`
	Level       string   `json:"level"`
	Title       string   `json:"title"`
	State       string   `json:"state"` // passed, failed or skipped
	Message     string   `json:"message"`
	FailsRun    bool     `json:"fails_run"`
	Requirement string   `json:"requirement"`
	Measured    []string `json:"measured,omitempty"`
	Duration    float64  `json:"duration"` // seconds
	// Accepted is the reason from the run's accept list, for a failure it
	// accepts (state stays "failed", fails_run is false).
	Accepted string `json:"accepted,omitempty"`
}

// JSONSummary counts the scenarios and gives the verdict.
type JSONSummary struct {
	Passed     int  `json:"passed"`
	Failed     int  `json:"failed"`
	Skipped    int  `json:"skipped"`
	Strict     bool `json:"strict"`
	Conformant bool `json:"conformant"`
	// Inconclusive is true when every selected scenario was skipped: the
	// run checked nothing, so it is not conformant either.
	Inconclusive bool    `json:"inconclusive"`
	Duration     float64 `json:"duration"` // seconds
	// Verdict is the console's verdict line: "conformant; 2 SHOULD
	// failed: P6.1, P6.2", "NOT conformant: P2.2 failed", "interrupted (...)".
	Verdict string `json:"verdict"`
	// Interrupted says why the run stopped before its end; then conformant
	// is false and the scenarios not run are skipped.
	Interrupted string `json:"interrupted,omitempty"`
	// StaleAccepts are the accepted scenarios that passed: their entries
	// can go.
	StaleAccepts []string `json:"stale_accepts,omitempty"`
}

// NewJSONReport converts a result to the JSON report's shape.
func NewJSONReport(res runner.Result) JSONReport {
	rep := JSONReport{Suite: res.Suite, Scenarios: []JSONScenario{}, SuiteFailures: res.SuiteFailures}
	for _, r := range res.Scenarios {
		rep.Scenarios = append(rep.Scenarios, JSONScenario{
			ID: r.ID, Level: string(r.Level), Title: r.Title, State: string(r.State), Message: r.Message,
			FailsRun: r.FailsRun, Requirement: r.Requirement, Measured: r.Measured, Duration: r.Duration.Seconds(),
			Accepted: r.Accepted,
		})
	}
	p, f, s := res.Counts()
	rep.Summary = JSONSummary{Passed: p, Failed: f, Skipped: s, Strict: res.Strict, Conformant: res.Conformant(), Inconclusive: res.Inconclusive(), Duration: res.Duration.Seconds(),
		Verdict: Verdict(res), Interrupted: res.Interrupted, StaleAccepts: res.StaleAccepts()}
	return rep
}

// WriteJSON writes res as the JSON report.
func WriteJSON(w io.Writer, res runner.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(NewJSONReport(res)); err != nil {
		return fmt.Errorf("json report: %w", err)
	}
	return nil
}
