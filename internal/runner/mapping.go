package runner

import (
	"fmt"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/internal/harness"
)

// fromReport turns Ginkgo's report into the run's Result: one entry per
// selected scenario, in catalogue order. Specs of scenarios that were not
// selected are left out; a selected scenario that no spec implements is
// reported as skipped rather than passed.
func fromReport(report types.Report, selected []catalogue.Scenario, suite string, strict bool) Result {
	res := Result{Suite: suite, Strict: strict, Started: report.StartTime, Duration: report.RunTime}
	for _, reason := range report.SpecialSuiteFailureReasons {
		// Ctrl-C and the run's timeout stop the run: no failure of the
		// target, but no verdict either (Result.Interrupted).
		if strings.Contains(reason, "Interrupted") || strings.Contains(reason, "Timeout Elapsed") {
			res.Interrupted = reason
			continue
		}
		res.SuiteFailures = append(res.SuiteFailures, reason)
	}
	isSelected := map[string]bool{}
	for _, s := range selected {
		isSelected[s.ID] = true
	}
	bySpec := map[string][]ScenarioResult{}
	for _, sr := range report.SpecReports {
		if sr.LeafNodeType.Is(types.NodeTypesForSuiteLevelNodes) {
			if sr.State.Is(types.SpecStateFailureStates) {
				res.SuiteFailures = append(res.SuiteFailures, suiteNodeFailure(sr))
			}
			continue
		}
		if !sr.LeafNodeType.Is(types.NodeTypeIt) {
			continue
		}
		if sr.State.Is(types.SpecStateInterrupted|types.SpecStateAborted) && res.Interrupted == "" {
			res.Interrupted = "a spec was " + sr.State.String()
		}
		id := scenarioID(sr)
		if id == "" {
			continue
		}
		own, found := fromSpec(sr, strict, isSelected)
		bySpec[id] = append(bySpec[id], own)
		for _, f := range found {
			bySpec[f.ID] = append(bySpec[f.ID], f)
		}
	}
	for _, id := range catalogue.IDs(selected) {
		s := catalogue.MustLookup(id)
		parts := bySpec[s.ID]
		if len(parts) == 0 {
			res.Scenarios = append(res.Scenarios, ScenarioResult{
				ID: s.ID, Level: s.Level, Title: s.Title, Requirement: s.Requirement,
				State: Skipped, Message: "no spec implements this scenario in this build of refreshspec",
			})
			continue
		}
		res.Scenarios = append(res.Scenarios, combine(parts))
	}
	return res
}

// scenarioID is the catalogue ID a spec's text begins with: the spec's own
// text, or for a table entry the text of a container around it.
func scenarioID(sr types.SpecReport) string {
	texts := append([]string{sr.LeafNodeText}, reversed(sr.ContainerHierarchyTexts)...)
	for _, t := range texts {
		first, _, _ := strings.Cut(strings.TrimSpace(t), " ")
		if _, ok := catalogue.Lookup(first); ok {
			return first
		}
	}
	return ""
}

func reversed(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[len(ss)-1-i] = s
	}
	return out
}

// fromSpec maps one spec's report to a scenario result, applying the
// scenario's level: Ginkgo's passed is failed when the spec recorded a failed
// verdict (a SHOULD outside strict mode, or INFO).
//
// found are the failures of other scenarios that the checks watching the
// whole run met during this spec (harness.FailFor: a token leak is P8.4's,
// a bad Set-Cookie P1.2's), each a failed part of that scenario. The spec
// that failed only for one of them keeps its own verdict, passed, as long
// as that scenario is selected to carry the failure; otherwise the spec
// stays failed, so that no failure is lost.
func fromSpec(sr types.SpecReport, strict bool, isSelected map[string]bool) (own ScenarioResult, found []ScenarioResult) {
	own = ownResult(sr, strict)
	for _, e := range sr.ReportEntries {
		if e.Name != harness.AlsoFailedEntry {
			continue
		}
		f, ok := harness.AlsoFailedOf(e)
		if !ok || f.ID == own.ID {
			continue
		}
		s, known := catalogue.Lookup(f.ID)
		if !known || !isSelected[f.ID] {
			continue
		}
		level := s.Level
		if f.Level != "" {
			level = f.Level // a part of the scenario at another level (harness.FailPart)
		}
		found = append(found, ScenarioResult{
			ID: s.ID, Level: s.Level, Title: s.Title, Requirement: s.Requirement, State: Failed,
			Message:  fmt.Sprintf("found during %s: %s", own.ID, f.Message),
			Journal:  own.Journal,
			FailsRun: level.FailsRun(strict),
			finding:  &finding{during: own.ID, message: f.Message},
		})
		if own.State == Failed && strings.TrimSpace(sr.Failure.Message) == strings.TrimSpace(f.Message) {
			own.State, own.Message, own.Location, own.FailsRun = Passed, "", "", false
			own.Measured = append(own.Measured, fmt.Sprintf("%s failed during this spec, reported there", f.ID))
		}
	}
	return own, found
}

// ownResult is the spec's result as its own scenario's.
func ownResult(sr types.SpecReport, strict bool) ScenarioResult {
	s := catalogue.MustLookup(scenarioID(sr))
	r := ScenarioResult{
		ID: s.ID, Level: s.Level, Title: s.Title, Requirement: s.Requirement,
		Journal:  harness.Journal(sr),
		Duration: sr.RunTime,
	}
	var verdicts []harness.Verdict
	for _, e := range sr.ReportEntries {
		switch e.Name {
		case harness.MeasuredEntry:
			r.Measured = append(r.Measured, e.Value.String())
		case harness.VerdictEntry:
			if v, ok := harness.VerdictOf(e); ok && v.Failed {
				verdicts = append(verdicts, v)
			}
		}
	}
	// A verdict is a failure its level keeps from failing the run: a
	// SHOULD outside strict mode, an INFO, or such a part of a scenario of
	// a higher level (harness.FailPart).
	onlyVerdicts := false
	switch {
	case sr.State.Is(types.SpecStatePassed):
		r.State = Passed
		onlyVerdicts = len(verdicts) > 0
		if len(verdicts) > 0 {
			r.State = Failed
			msgs := make([]string, len(verdicts))
			for i, v := range verdicts {
				msgs[i] = v.Message
			}
			r.Message = strings.Join(msgs, "\n")
		}
	case sr.State.Is(types.SpecStateInterrupted):
		// The run stopped in the middle of it: no verdict either way.
		r.State = Skipped
		r.Message = "interrupted before it ended: " + strings.TrimSpace(sr.Failure.Message)
	case sr.State.Is(types.SpecStateSkipped | types.SpecStatePending):
		r.State = Skipped
		r.Message = strings.TrimSpace(sr.Failure.Message)
		if sr.State.Is(types.SpecStatePending) && r.Message == "" {
			r.Message = "pending: the spec is not written yet"
		}
	default:
		r.State = Failed
		r.Message = failureMessage(sr)
		r.Location = sr.Failure.Location.String()
	}
	r.FailsRun = r.State == Failed && !onlyVerdicts && s.Level.FailsRun(strict)
	return r
}

func failureMessage(sr types.SpecReport) string {
	msg := strings.TrimSpace(sr.Failure.Message)
	switch {
	case sr.State.Is(types.SpecStatePanicked):
		msg = strings.TrimSpace("the spec panicked: " + sr.Failure.ForwardedPanic + "\n" + msg)
	case sr.State.Is(types.SpecStateTimedout):
		msg = "timed out: " + msg
	case sr.State.Is(types.SpecStateInterrupted):
		msg = "interrupted: " + msg
	case sr.State.Is(types.SpecStateAborted):
		msg = "aborted: " + msg
	}
	return msg
}

func suiteNodeFailure(sr types.SpecReport) string {
	msg := fmt.Sprintf("%s %s: %s", sr.LeafNodeType, sr.State, strings.TrimSpace(sr.Failure.Message))
	if sr.Failure.ForwardedPanic != "" {
		msg += " (panic: " + sr.Failure.ForwardedPanic + ")"
	}
	if loc := sr.Failure.Location.String(); loc != "" && loc != ":0" {
		msg += " at " + loc
	}
	return msg
}

// combine merges the results of the specs of one scenario (normally one; a
// table gives several, and the checks that watch the whole run add the
// failures they found during other specs): see merged.
func combine(parts []ScenarioResult) ScenarioResult {
	var m merged
	for _, p := range parts {
		m.add(p)
	}
	return m.result()
}
