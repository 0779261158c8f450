package runner

import (
	"time"

	"github.com/refreshspec/refreshspec/catalogue"
)

// State is a scenario's outcome as the reports spell it.
type State string

// The three outcomes.
const (
	Passed  State = "passed"
	Failed  State = "failed"
	Skipped State = "skipped"
)

// ScenarioResult is the outcome of one scenario of the catalogue.
type ScenarioResult struct {
	ID          string
	Level       catalogue.Level
	Title       string
	Requirement string
	State       State
	// Message says why the scenario failed (expected and actual, as the
	// spec's assertion put it) or why it was skipped.
	Message string
	// Location is where the failure was detected ("file.go:42"), for -v.
	Location string
	// Measured holds what the scenario measured (spec.MeasuredEntry).
	Measured []string
	// Journal is what the spec wrote to GinkgoWriter: on a failure, what the
	// fake backend journaled for that scenario.
	Journal  string
	Duration time.Duration
	// FailsRun is true when this result makes the run non-conformant: a
	// failure of a MUST scenario, or of a SHOULD scenario in strict mode,
	// that the run does not accept.
	FailsRun bool
	// Accepted is the reason from the run's baseline (Options.Accept) when
	// the scenario failed and its failure is accepted; such a failure does
	// not fail the run.
	Accepted string

	// finding is set on a failure of this scenario that the spec of
	// another found (harness.FailFor).
	finding *finding
}

// finding is a failure of a scenario found during another's spec.
type finding struct {
	during  string // the ID of the scenario whose spec found it
	message string // the failure as harness.FailFor reported it
}

// accept marks a failure the baseline accepts.
func (r *ScenarioResult) accept(reasons map[string]string) {
	if reason, ok := reasons[r.ID]; ok && r.State == Failed {
		r.Accepted, r.FailsRun = reason, false
	}
}

// Name is the scenario's spec name: the ID, then the title.
func (r ScenarioResult) Name() string { return r.ID + " " + r.Title }

// Group is the scenario's group: "P2" for "P2.1".
func (r ScenarioResult) Group() string {
	return catalogue.Scenario{ID: r.ID}.Group()
}

// Result is the outcome of one run.
type Result struct {
	// Suite is "P" or "B".
	Suite string
	// Scenarios are the selected scenarios, in catalogue order.
	Scenarios []ScenarioResult
	// SuiteFailures are failures outside any scenario (a BeforeSuite or
	// AfterSuite node): the run could not be trusted, so they fail it.
	SuiteFailures []string
	Strict        bool
	Started       time.Time
	Duration      time.Duration
	// Interrupted says why the run stopped before its end (Ctrl-C, the
	// run's timeout); empty for a run that ran to its end. The scenarios
	// not run are no verdict.
	Interrupted string
	// Accept is the run's baseline: scenario ID to the reason its failure
	// is accepted (Options.Accept).
	Accept map[string]string
}

// applyAccept marks the failures the baseline accepts and keeps the
// baseline, so that an accepted scenario that passed can be reported.
func (r *Result) applyAccept(reasons map[string]string) {
	r.Accept = reasons
	for i := range r.Scenarios {
		r.Scenarios[i].accept(reasons)
	}
}

// StaleAccepts are the IDs of the baseline whose scenario passed in this
// run, in catalogue order: their entries can go.
func (r Result) StaleAccepts() []string {
	var out []string
	for _, s := range r.Scenarios {
		if _, ok := r.Accept[s.ID]; ok && s.State == Passed {
			out = append(out, s.ID)
		}
	}
	return out
}

// FailedWithoutFailingRun are the IDs of the scenarios of level that
// failed without failing the run, accepted ones left out: the SHOULD
// failures of a run that is not strict. A MUST scenario that failed
// without failing the run failed its SHOULD part (harness.FailPart), and
// counts among the SHOULD ones.
func (r Result) FailedWithoutFailingRun(level catalogue.Level) []string {
	var out []string
	for _, s := range r.Scenarios {
		lvl := s.Level
		if lvl == catalogue.Must {
			lvl = catalogue.Should
		}
		if s.State == Failed && !s.FailsRun && s.Accepted == "" && lvl == level {
			out = append(out, s.ID)
		}
	}
	return out
}

// AcceptedFailures are the IDs of the failures the baseline accepted.
func (r Result) AcceptedFailures() []string {
	var out []string
	for _, s := range r.Scenarios {
		if s.Accepted != "" {
			out = append(out, s.ID)
		}
	}
	return out
}

// Counts returns how many scenarios passed, failed and were skipped.
func (r Result) Counts() (passed, failed, skipped int) {
	for _, s := range r.Scenarios {
		switch s.State {
		case Passed:
			passed++
		case Failed:
			failed++
		default:
			skipped++
		}
	}
	return passed, failed, skipped
}

// Inconclusive reports whether the run gives no verdict: every selected
// scenario was skipped (for instance --browser without Chromium, or only
// scenarios that need a target the suite starts) and nothing failed outside
// them. Such a run is not conformant either: it showed nothing.
func (r Result) Inconclusive() bool {
	if len(r.SuiteFailures) > 0 {
		return false
	}
	passed, failed, _ := r.Counts()
	return passed == 0 && failed == 0
}

// Conformant reports whether the run found no failure that counts at the
// run's strictness, and checked something (it is not Inconclusive).
func (r Result) Conformant() bool {
	if len(r.SuiteFailures) > 0 || r.Inconclusive() || r.Interrupted != "" {
		return false
	}
	for _, s := range r.Scenarios {
		if s.FailsRun {
			return false
		}
	}
	return true
}
