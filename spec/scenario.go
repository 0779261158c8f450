package spec

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/spec/catalogue"
)

// VerdictEntry is the name of the report entry in which a SHOULD (outside
// strict mode) or INFO spec records a failure it did not let fail the run,
// and MeasuredEntry the one in which a spec records what it measured. The
// runner and the reports read both.
const (
	VerdictEntry  = "refreshspec-verdict"
	MeasuredEntry = "refreshspec-measured"
)

// Verdict is the value of a VerdictEntry: the failure a SHOULD or INFO spec
// met, kept out of the run's result by its level.
type Verdict struct {
	Level   catalogue.Level `json:"level"`
	Failed  bool            `json:"failed"`
	Message string          `json:"message"`
}

// String is what a report shows of the verdict.
func (v Verdict) String() string {
	return fmt.Sprintf("%s failed (not fatal at this level): %s", v.Level, v.Message)
}

// scenario registers the spec of catalogue entry id: its name begins with the
// ID, it carries the group and level labels, and its level decides whether a
// failure fails the run. strict is read when the spec runs.
func scenario(id string, strict func() bool, body func(), decorators ...any) bool {
	s := catalogue.MustLookup(id)
	args := append([]any{Label(s.Group(), string(s.Level))}, decorators...)
	args = append(args, func() { runAtLevel(s, strict(), body) })
	return It(s.Name(), args...)
}

// runAtLevel runs body; a failure of a spec whose level does not fail the run
// is recorded as a verdict instead of failing the spec.
func runAtLevel(s catalogue.Scenario, strict bool, body func()) {
	if s.Level.FailsRun(strict) {
		body()
		return
	}
	if err := InterceptGomegaFailure(body); err != nil {
		v := Verdict{Level: s.Level, Failed: true, Message: err.Error()}
		AddReportEntry(VerdictEntry, v)
		fmt.Fprintf(GinkgoWriter, "%s %s: %s\n", s.ID, v, s.Requirement)
	}
}

// Measured records what an INFO (or any) spec measured, for the reports.
func Measured(format string, args ...any) {
	AddReportEntry(MeasuredEntry, fmt.Sprintf(format, args...))
}
