package harness

import (
	"io"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/catalogue"
)

func TestIDOfName(t *testing.T) {
	for name, want := range map[string]string{
		"P8.1 one byte flipped":              "P8.1",
		"B2.10 logout revokes the family":    "B2.10",
		"W1.2":                               "W1.2",
		"P8 not an ID":                       "",
		"refreshspec proxy suite":            "",
		"P99.9 looks like an ID but is none": "",
	} {
		if got := idOf(name); got != want {
			t.Errorf("idOf(%q) = %q, want %q", name, got, want)
		}
	}
}

// failedT records whether Ginkgo failed the run, in place of a *testing.T:
// the specs below fail on purpose.
type failedT struct{ failed atomic.Bool }

func (f *failedT) Fail() { f.failed.Store(true) }

// line is the line after the caller's: where the caller's next statement,
// the assertion meant to fail, stands.
func line() int {
	_, _, l, _ := runtime.Caller(1)
	return l + 1
}

// expectEven fails in a helper; its failure belongs to the caller's line.
func expectEven(n int) {
	ginkgo.GinkgoHelper()
	gomega.Expect(n%2).To(gomega.Equal(0), "%d should be even", n)
}

// TestLevelsPrefixesAndLocations runs Ginkgo for real on specs registered
// through the harness and reads what users depend on from the report: the
// names, labels and order; which failures fail the run at which level and
// strictness; the ID and level in front of every failure and verdict, with
// the failure's location at the assertion's line; the ID in front of every
// measurement; and Gomega's fail handler back to Ginkgo's after each body.
// Ginkgo runs once per process, so this is the package's only such test.
func TestLevelsPrefixesAndLocations(t *testing.T) {
	strict, lax := func() bool { return true }, func() bool { return false }
	lines := map[string]int{}
	var seenIDs []string
	var report types.Report

	ginkgo.Describe("harness", func() {
		It("P1.1", lax, func() {
			lines["P1.1"] = line()
			gomega.Expect(1).To(gomega.Equal(2), "a MUST check")
		})
		It("P1.4", lax, func() {
			Explain("what the fake backend journaled: #1 POST /auth/login 200\n")
			gomega.Expect("5000 bytes").To(gomega.BeEmpty(), "a SHOULD check outside strict mode")
		})
		It("P6.4", strict, func() {
			lines["P6.4"] = line()
			expectEven(3)
		})
		It("P4.3", strict, func() {
			gomega.Eventually(func(g gomega.Gomega) { g.Expect(false).To(gomega.BeTrue()) }).
				WithTimeout(0).Should(gomega.Succeed(), "an INFO check even in strict mode")
		})
		It("P9.2", lax, func() {
			seenIDs = append(seenIDs, ID())
			Measured("median %d ms", 3)
			FailFor("P6.1", false, "a refresh answered 500 ended the session")
		})
		It("P8.9", lax, func() {
			FailPart("P8.9", catalogue.Should, false, "GET /api/me → 200 says no Cache-Control")
		})
		Table("P3.2", lax, func(status int) {
			seenIDs = append(seenIDs, ID())
			gomega.Expect(status).To(gomega.Equal(404), "the status")
		},
			Entry("resource answers 403", 403),
			Entry("resource answers 404", 404),
		)
		ginkgo.It("plain spec after the harness's", func() {
			gomega.Expect(1).To(gomega.Equal(2), "outside the harness")
		})
	})
	ginkgo.ReportAfterSuite("capture", func(r types.Report) { report = r })

	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	reporterConfig.Succinct, reporterConfig.NoColor = true, true
	formatter.ColorableStdOut = io.Discard
	gomega.RegisterFailHandler(ginkgo.Fail)
	ft := &failedT{}
	ginkgo.RunSpecs(ft, "harness", suiteConfig, reporterConfig)
	if !ft.failed.Load() {
		t.Error("the run passed, though a MUST and a strict SHOULD spec failed")
	}

	specs := map[string]types.SpecReport{}
	var order []string
	for _, r := range report.SpecReports {
		if r.LeafNodeType == types.NodeTypeIt {
			specs[r.LeafNodeText] = r
			order = append(order, r.LeafNodeText)
		}
	}
	wantOrder := []string{
		"P1.1 login response carries no token", "P1.4 session cookie under 4096 bytes",
		"P6.4 refresh 429 keeps the session", "P4.3 replayed pre-rotation cookie",
		"P9.2 added latency over the direct backend call",
		"P8.9 session responses are not stored by shared caches",
		"P3.2 resource answers 403", "P3.2 resource answers 404",
		"plain spec after the harness's",
	}
	if !slices.Equal(order, wantOrder) {
		t.Fatalf("specs ran as\n  %q\nwant\n  %q", order, wantOrder)
	}

	type want struct {
		passed  bool
		prefix  string // of the failure message, or of the verdict when passed
		verdict bool
	}
	for name, w := range map[string]want{
		"P1.1 login response carries no token":                   {prefix: "P1.1 (MUST): a MUST check"},
		"P1.4 session cookie under 4096 bytes":                   {passed: true, verdict: true, prefix: "P1.4 (SHOULD): a SHOULD check outside strict mode"},
		"P6.4 refresh 429 keeps the session":                     {prefix: "P6.4 (SHOULD): 3 should be even"},
		"P4.3 replayed pre-rotation cookie":                      {passed: true, verdict: true, prefix: "P4.3 (INFO): Timed out"},
		"P9.2 added latency over the direct backend call":        {passed: true},
		"P8.9 session responses are not stored by shared caches": {passed: true, verdict: true, prefix: "P8.9 (SHOULD): GET /api/me → 200 says no Cache-Control"},
		"P3.2 resource answers 403":                              {prefix: "P3.2 (MUST): the status"},
		"P3.2 resource answers 404":                              {passed: true},
		"plain spec after the harness's":                         {prefix: "outside the harness"},
	} {
		r := specs[name]
		if got := r.State == types.SpecStatePassed; got != w.passed {
			t.Errorf("%s: state %s, want passed=%v (failure %q)", name, r.State, w.passed, r.Failure.Message)
		}
		var verdicts []Verdict
		for _, e := range r.ReportEntries {
			if e.Name == VerdictEntry {
				verdicts = append(verdicts, e.Value.GetRawValue().(Verdict))
			}
		}
		if HasVerdict(r) != w.verdict || len(verdicts) > 0 != w.verdict {
			t.Errorf("%s: verdicts %v, want one: %v", name, verdicts, w.verdict)
		}
		msg := r.Failure.Message
		if w.verdict {
			msg = verdicts[0].Message
		}
		if !strings.HasPrefix(msg, w.prefix) {
			t.Errorf("%s: message %q, want it to begin with %q", name, msg, w.prefix)
		}
	}
	for id, l := range lines {
		for name, r := range specs {
			if strings.HasPrefix(name, id+" ") && r.Failure.Location.LineNumber != l {
				t.Errorf("%s failed at %s, want line %d (the assertion, or the helper's caller)", name, r.Failure.Location, l)
			}
		}
	}

	m := specs["P9.2 added latency over the direct backend call"]
	var measured []string
	for _, e := range m.ReportEntries {
		if e.Name == MeasuredEntry {
			measured = append(measured, e.Value.String())
		}
	}
	if !slices.Equal(measured, []string{"P9.2: median 3 ms"}) {
		t.Errorf("P9.2 measured %q, want the ID in front", measured)
	}
	if !slices.Equal(seenIDs, []string{"P9.2", "P3.2", "P3.2"}) {
		t.Errorf("ID() in the bodies: %q", seenIDs)
	}

	// Ginkgo's own output shows the verdicts and the failures found for
	// another scenario; Journal, what a report prints under the failure,
	// leaves them and the requirement out, as the report prints them.
	for name, want := range map[string]struct{ journal, echoed string }{
		"P1.4 session cookie under 4096 bytes":            {"what the fake backend journaled: #1 POST /auth/login 200\n", "P1.4 (SHOULD): a SHOULD check outside strict mode"},
		"P9.2 added latency over the direct backend call": {"", "P6.1 (SHOULD): a refresh answered 500 ended the session"},
	} {
		r := specs[name]
		if got := Journal(r); got != want.journal {
			t.Errorf("%s: Journal = %q, want %q", name, got, want.journal)
		}
		if !strings.Contains(r.CapturedGinkgoWriterOutput, want.echoed) {
			t.Errorf("%s: GinkgoWriter got %q, want it to show %q", name, r.CapturedGinkgoWriterOutput, want.echoed)
		}
	}

	for _, name := range []string{"P3.2 resource answers 403", "P1.1 login response carries no token"} {
		labels := specs[name].Labels()
		id, _, _ := strings.Cut(name, " ")
		group, _, _ := strings.Cut(id, ".")
		if !slices.Contains(labels, group) || !slices.Contains(labels, "MUST") {
			t.Errorf("%s: labels %v, want %s and MUST", name, labels, group)
		}
	}
	if tables := specs["P3.2 resource answers 403"].ContainerHierarchyTexts; len(tables) == 0 || tables[len(tables)-1] != "P3.2 no refresh on 403, 404, 429 or 500" {
		t.Errorf("the table entry sits in %q, want the table named for the scenario", tables)
	}
}

func TestOrDefault(t *testing.T) {
	if got := OrDefault(0, 5); got != 5 {
		t.Errorf("OrDefault(0, 5) = %v", got)
	}
	if got := OrDefault(-1, 5); got != 5 {
		t.Errorf("OrDefault(-1, 5) = %v", got)
	}
	if got := OrDefault(2, 5); got != 2 {
		t.Errorf("OrDefault(2, 5) = %v", got)
	}
}
