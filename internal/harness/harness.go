package harness

import (
	"fmt"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/catalogue"
)

// The report entries the specs write and the runner and the reports read.
const (
	// VerdictEntry holds the Verdict of a SHOULD (outside strict mode) or
	// INFO spec that failed without failing the run.
	VerdictEntry = "refreshspec-verdict"
	// MeasuredEntry holds what a spec measured (Measured).
	MeasuredEntry = "refreshspec-measured"
	// JournalEntry holds what explains a failed spec, or one that recorded
	// a failed verdict: the requirement and what the fake backend journaled
	// during it (Explain).
	JournalEntry = "journal"
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

// It registers the spec of catalogue scenario id: its name is the ID and the
// title, its labels the group and the level, and body runs at the level
// (see the package doc). strict is read when the spec runs, so a suite may
// set it in BeforeSuite. The spec's code location is the caller's line.
func It(id string, strict func() bool, body func(), decorators ...any) bool {
	ginkgo.GinkgoHelper()
	s := catalogue.MustLookup(id)
	args := append([]any{labels(s)}, decorators...)
	args = append(args, func() { run(s, strict(), body) })
	return ginkgo.It(s.Name(), args...)
}

// ItMust registers the spec of catalogue scenario id like It, but runs its
// body as a MUST when must says so when the spec runs: an INFO measurement
// that becomes a requirement once the user declares what to expect (B2.14
// with the profile's backend.rotation). Its failures then say "(MUST)".
func ItMust(id string, strict func() bool, must func() bool, body func(), decorators ...any) bool {
	ginkgo.GinkgoHelper()
	s := catalogue.MustLookup(id)
	args := append([]any{labels(s)}, decorators...)
	args = append(args, func() {
		at := s
		if must() {
			at.Level = catalogue.Must
		}
		run(at, strict(), body)
	})
	return ginkgo.It(s.Name(), args...)
}

// TableEntry is one row of a Table: the text after the ID in the entry's
// name, and the value the table's body is called with.
type TableEntry[T any] struct {
	text     string
	param    T
	location types.CodeLocation
}

// Entry is a row of a Table, named "<ID> <text>" once the table is known,
// with its code location at the caller's line.
func Entry[T any](text string, param T) TableEntry[T] {
	return TableEntry[T]{text: text, param: param, location: types.NewCodeLocation(1)}
}

// Table registers catalogue scenario id as a DescribeTable: the table is
// named as It names a spec and carries the same labels, each entry's name
// begins with the ID, and every entry runs body at the scenario's level.
func Table[T any](id string, strict func() bool, body func(T), entries ...TableEntry[T]) bool {
	ginkgo.GinkgoHelper()
	s := catalogue.MustLookup(id)
	args := []any{labels(s), func(param T) { run(s, strict(), func() { body(param) }) }}
	for _, e := range entries {
		args = append(args, ginkgo.Entry(s.ID+" "+e.text, e.param, e.location))
	}
	return ginkgo.DescribeTable(s.Name(), args...)
}

func labels(s catalogue.Scenario) ginkgo.Labels { return ginkgo.Label(s.Group(), string(s.Level)) }

// run runs body at the scenario's level. A failure that fails the run goes
// to Ginkgo with the ID and the level in front of its message and its
// location unchanged; one that does not is recorded as a Verdict.
//
// Gomega has one fail handler per process, so the prefix is put in by
// swapping it for the body's duration; it is Ginkgo's Fail before and after,
// as in every Ginkgo suite (the runner and TestProxy register it).
func run(s catalogue.Scenario, strict bool, body func()) {
	prefix := fmt.Sprintf("%s (%s): ", s.ID, s.Level)
	resetNotes()
	if s.Level.FailsRun(strict) {
		gomega.RegisterFailHandler(func(message string, callerSkip ...int) {
			skip := 0
			if len(callerSkip) > 0 {
				skip = callerSkip[0]
			}
			ginkgo.Fail(withNotes(prefix+message), skip+1)
		})
		defer gomega.RegisterFailHandler(ginkgo.Fail)
		body()
		return
	}
	if err := gomega.InterceptGomegaFailure(body); err != nil {
		v := Verdict{Level: s.Level, Failed: true, Message: withNotes(prefix + err.Error())}
		ginkgo.AddReportEntry(VerdictEntry, v)
		ginkgo.GinkgoWriter.Print(verdictEcho(s, v))
	}
}

// ID is the scenario ID of the spec that is running (in its body, or in a
// BeforeEach, AfterEach or cleanup of it): the first word of its name, which
// It and Table make the ID. It is "" outside a scenario's spec.
func ID() string { return idOf(ginkgo.CurrentSpecReport().LeafNodeText) }

func idOf(name string) string {
	first, _, _ := strings.Cut(name, " ")
	if _, ok := catalogue.Lookup(first); !ok {
		return ""
	}
	return first
}

// Measured records what a spec measured, for the reports, with the ID of the
// running scenario in front: "P9.2: plain request: ...".
func Measured(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	if id := ID(); id != "" {
		text = id + ": " + text
	}
	ginkgo.AddReportEntry(MeasuredEntry, text)
}

// HasVerdict reports whether a spec recorded a verdict: a SHOULD or INFO
// failure that its level kept from failing the run, which deserves the same
// explanation as a failure.
func HasVerdict(r ginkgo.SpecReport) bool {
	for _, e := range r.ReportEntries {
		if e.Name == VerdictEntry {
			return true
		}
	}
	return false
}

// Explain writes what explains a failed spec to GinkgoWriter and to a
// JournalEntry: the requirement of the running scenario, then details (what
// the suite saw, such as the fake backend's journal). A conformance failure
// should explain itself, as h2spec's do.
func Explain(details string) {
	var b strings.Builder
	if s, ok := catalogue.Lookup(ID()); ok {
		b.WriteString(requirementHeader(s))
	}
	b.WriteString(details)
	ginkgo.GinkgoWriter.Print(b.String())
	ginkgo.AddReportEntry(JournalEntry, b.String())
}

// OrDefault is d, or def when d is not positive: the suites' configs leave
// their timeouts zero for the default.
func OrDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
