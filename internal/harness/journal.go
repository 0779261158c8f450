package harness

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshspec/refreshspec/catalogue"
)

// The harness writes a spec's failures to GinkgoWriter as well, for whoever
// reads Ginkgo's own output (a suite of one's own, -v): a verdict that does
// not fail the spec, a failure found for another scenario, the requirement
// above an explanation. A report that prints the failure and the
// requirement itself would print them twice; Journal leaves them out.

// verdictEcho is what run writes to GinkgoWriter for a verdict.
func verdictEcho(s catalogue.Scenario, v Verdict) string {
	return fmt.Sprintf("%s %s: %s\n", s.ID, v, s.Requirement)
}

// alsoFailedEcho is what FailFor writes to GinkgoWriter for a failure of
// another scenario.
func alsoFailedEcho(full string) string { return full + "\n" }

// requirementHeader is the line Explain writes above its details.
func requirementHeader(s catalogue.Scenario) string {
	return fmt.Sprintf("%s (%s) requirement: %s\n", s.ID, s.Level, s.Requirement)
}

// Journal is what spec r wrote to GinkgoWriter (what the fake backend
// journaled during it, what it did), without what the harness wrote there
// of its failures: those are in the report's message already.
func Journal(r types.SpecReport) string {
	out := r.CapturedGinkgoWriterOutput
	s, ok := catalogue.Lookup(specID(r))
	for _, e := range r.ReportEntries {
		switch e.Name {
		case VerdictEntry:
			if v, found := VerdictOf(e); found && ok {
				out = strings.Replace(out, verdictEcho(s, v), "", 1)
			}
		case AlsoFailedEntry:
			if f, found := AlsoFailedOf(e); found {
				out = strings.Replace(out, alsoFailedEcho(f.Message), "", 1)
			}
		}
	}
	if ok {
		out = strings.ReplaceAll(out, requirementHeader(s), "")
	}
	return out
}

// specID is the scenario ID of a spec: the first word of its own text or,
// for a table entry whose text is not prefixed, of its table's.
func specID(r types.SpecReport) string {
	if id := idOf(r.LeafNodeText); id != "" {
		return id
	}
	for i := len(r.ContainerHierarchyTexts) - 1; i >= 0; i-- {
		if id := idOf(r.ContainerHierarchyTexts[i]); id != "" {
			return id
		}
	}
	return ""
}

// VerdictOf reads a VerdictEntry's value: the Verdict itself in-process,
// its JSON when the report went through an encoding, and as a last resort
// its text as the message of a failed verdict.
func VerdictOf(e types.ReportEntry) (Verdict, bool) {
	switch v := e.Value.GetRawValue().(type) {
	case Verdict:
		return v, true
	case *Verdict:
		if v != nil {
			return *v, true
		}
	}
	var v Verdict
	if e.Value.AsJSON != "" && json.Unmarshal([]byte(e.Value.AsJSON), &v) == nil {
		return v, true
	}
	if s := e.Value.String(); s != "" {
		return Verdict{Failed: true, Message: s}, true
	}
	return Verdict{}, false
}

// AlsoFailedOf reads an AlsoFailedEntry's value, in-process or as JSON.
func AlsoFailedOf(e types.ReportEntry) (AlsoFailed, bool) {
	if v, ok := e.Value.GetRawValue().(AlsoFailed); ok {
		return v, true
	}
	var v AlsoFailed
	if e.Value.AsJSON != "" && json.Unmarshal([]byte(e.Value.AsJSON), &v) == nil && v.ID != "" {
		return v, true
	}
	return v, false
}
