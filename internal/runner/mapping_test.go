package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/internal/harness"
)

func itReport(name string, state types.SpecState, msg string, entries ...types.ReportEntry) types.SpecReport {
	return types.SpecReport{
		LeafNodeType: types.NodeTypeIt, LeafNodeText: name, State: state,
		Failure: types.Failure{Message: msg}, ReportEntries: entries,
		RunTime: 2 * time.Second, CapturedGinkgoWriterOutput: "journal of " + name,
	}
}

func entry(name string, value any) types.ReportEntry {
	return types.ReportEntry{Name: name, Value: types.WrapEntryValue(value)}
}

func lookupAll(t *testing.T, ids ...string) []catalogue.Scenario {
	t.Helper()
	var out []catalogue.Scenario
	for _, id := range ids {
		out = append(out, catalogue.MustLookup(id))
	}
	return out
}

func byID(res Result) map[string]ScenarioResult {
	m := map[string]ScenarioResult{}
	for _, s := range res.Scenarios {
		m[s.ID] = s
	}
	return m
}

func TestFromReportMapsStatesAndLevels(t *testing.T) {
	report := types.Report{SpecReports: []types.SpecReport{
		itReport("P2.1 page request refreshes once and retries", types.SpecStatePassed, ""),
		itReport("P2.2 api request refreshes once and retries", types.SpecStateFailed, "Expected\n    <int>: 2\nto equal\n    <int>: 1"),
		itReport("P1.4 session cookie under 4096 bytes", types.SpecStatePassed, "",
			entry(harness.VerdictEntry, harness.Verdict{Level: catalogue.Should, Failed: true, Message: "cookie is 5000 bytes"})),
		itReport("P9.2 added latency", types.SpecStatePassed, "", entry(harness.MeasuredEntry, "median 3ms, p99 9ms")),
		itReport("P8.3 key rotation", types.SpecStateSkipped, "the suite did not start this target"),
		itReport("P3.1 no retry loop", types.SpecStatePanicked, "boom"),
		itReport("P1.1 login response carries no token", types.SpecStatePassed, ""), // not selected
	}}
	selected := lookupAll(t, "P1.4", "P2.1", "P2.2", "P3.1", "P8.3", "P9.2", "P9.1")
	res := fromReport(report, selected, "P", false)

	var ids []string
	for _, s := range res.Scenarios {
		ids = append(ids, s.ID)
	}
	if got, want := strings.Join(ids, ","), "P1.4,P2.1,P2.2,P3.1,P8.3,P9.1,P9.2"; got != want {
		t.Fatalf("scenarios = %s, want the selected ones in catalogue order %s", got, want)
	}
	m := byID(res)
	check := func(id string, state State, failsRun bool, msgPart string) {
		t.Helper()
		r := m[id]
		if r.State != state || r.FailsRun != failsRun || !strings.Contains(r.Message, msgPart) {
			t.Errorf("%s = state %s, failsRun %v, message %q; want %s, %v, containing %q", id, r.State, r.FailsRun, r.Message, state, failsRun, msgPart)
		}
	}
	check("P2.1", Passed, false, "")
	check("P2.2", Failed, true, "to equal")
	check("P1.4", Failed, false, "5000 bytes") // SHOULD outside strict: failed, not fatal
	check("P9.2", Passed, false, "")
	check("P8.3", Skipped, false, "did not start")
	check("P3.1", Failed, true, "panicked")
	check("P9.1", Skipped, false, "no spec implements")
	if got := m["P9.2"].Measured; len(got) != 1 || got[0] != "median 3ms, p99 9ms" {
		t.Errorf("P9.2 measured = %q", got)
	}
	if m["P2.2"].Journal != "journal of P2.2 api request refreshes once and retries" {
		t.Errorf("P2.2 journal = %q", m["P2.2"].Journal)
	}
	if m["P2.2"].Requirement != catalogue.MustLookup("P2.2").Requirement || m["P2.2"].Level != catalogue.Must {
		t.Errorf("P2.2 lost its catalogue entry: %+v", m["P2.2"])
	}
	if res.Conformant() {
		t.Error("a failed MUST scenario left the run conformant")
	}
	p, f, s := res.Counts()
	if p != 2 || f != 3 || s != 2 {
		t.Errorf("counts = %d passed, %d failed, %d skipped; want 2, 3, 2", p, f, s)
	}
}

func TestShouldFailureFailsTheRunOnlyInStrictMode(t *testing.T) {
	// In strict mode the spec fails through Ginkgo instead of recording a verdict.
	strict := fromReport(types.Report{SpecReports: []types.SpecReport{
		itReport("P1.4 session cookie under 4096 bytes", types.SpecStateFailed, "cookie is 5000 bytes"),
	}}, lookupAll(t, "P1.4"), "P", true)
	if strict.Conformant() || !strict.Scenarios[0].FailsRun {
		t.Errorf("strict SHOULD failure: conformant=%v failsRun=%v, want false, true", strict.Conformant(), strict.Scenarios[0].FailsRun)
	}
	lenient := fromReport(types.Report{SpecReports: []types.SpecReport{
		itReport("P1.4 session cookie under 4096 bytes", types.SpecStatePassed, "",
			entry(harness.VerdictEntry, harness.Verdict{Level: catalogue.Should, Failed: true, Message: "too big"})),
	}}, lookupAll(t, "P1.4"), "P", false)
	if !lenient.Conformant() || lenient.Scenarios[0].State != Failed {
		t.Errorf("lenient SHOULD failure: conformant=%v state=%s, want true, failed", lenient.Conformant(), lenient.Scenarios[0].State)
	}
}

func TestInfoNeverFailsTheRun(t *testing.T) {
	res := fromReport(types.Report{SpecReports: []types.SpecReport{
		itReport("P2.1 page request refreshes once and retries", types.SpecStatePassed, ""),
		itReport("P9.1 proactive refresh", types.SpecStateFailed, "could not measure"),
	}}, lookupAll(t, "P2.1", "P9.1"), "P", true)
	if !res.Conformant() {
		t.Error("an INFO failure made the run non-conformant, even in strict mode")
	}
}

func TestSuiteLevelFailuresFailTheRun(t *testing.T) {
	report := types.Report{
		SpecialSuiteFailureReasons: []string{"Suite Timeout Elapsed"},
		SpecReports: []types.SpecReport{
			{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: "backend unreachable"}},
			itReport("P2.1 page request refreshes once and retries", types.SpecStateSkipped, ""),
		},
	}
	res := fromReport(report, lookupAll(t, "P2.1"), "P", false)
	if res.Conformant() {
		t.Fatal("a failed BeforeSuite left the run conformant")
	}
	joined := strings.Join(res.SuiteFailures, "\n")
	if !strings.Contains(joined, "backend unreachable") {
		t.Errorf("suite failures = %q, want the BeforeSuite message", joined)
	}
	if res.Interrupted != "Suite Timeout Elapsed" {
		t.Errorf("Interrupted = %q, want the timeout: the run stopped before its end", res.Interrupted)
	}
}

func TestFailureFoundDuringAnotherSpecIsItsScenarios(t *testing.T) {
	leak := harness.AlsoFailed{ID: "P8.4", Message: "P8.4 (MUST): an issued token reached the client"}
	cookie := harness.AlsoFailed{ID: "P1.2", Message: "P1.2 (MUST): the rotated Set-Cookie lacks HttpOnly"}
	report := types.Report{SpecReports: []types.SpecReport{
		itReport("P1.2 session cookie attributes", types.SpecStatePassed, ""),
		// P2.1 failed only because of P1.2's check: P2.1 passes, P1.2 fails.
		itReport("P2.1 page request refreshes once and retries", types.SpecStateFailed, cookie.Message, entry(harness.AlsoFailedEntry, cookie)),
		// P2.2 failed on its own, and P8.4 found a leak too: both fail.
		itReport("P2.2 api request refreshes once and retries", types.SpecStateFailed, "P2.2 (MUST): got 502", entry(harness.AlsoFailedEntry, leak)),
		itReport("P8.4 no issued token in any response of the run", types.SpecStatePassed, ""),
	}}
	m := byID(fromReport(report, lookupAll(t, "P1.2", "P2.1", "P2.2", "P8.4"), "P", false))
	if r := m["P2.1"]; r.State != Passed || r.FailsRun {
		t.Errorf("P2.1 = %+v, want passed: its only failure was P1.2's", r)
	}
	if r := m["P1.2"]; r.State != Failed || !r.FailsRun || !strings.Contains(r.Message, "found during P2.1") || !strings.Contains(r.Message, "lacks HttpOnly") {
		t.Errorf("P1.2 = %+v, want failed with what P2.1 found", r)
	}
	if r := m["P2.2"]; r.State != Failed || r.Message != "P2.2 (MUST): got 502" {
		t.Errorf("P2.2 = %+v, want its own failure", r)
	}
	if r := m["P8.4"]; r.State != Failed || !strings.Contains(r.Message, "found during P2.2") {
		t.Errorf("P8.4 = %+v, want the leak P2.2 found", r)
	}

	// When the scenario that owns the failure is not selected, the spec that
	// met it keeps it: no failure is lost.
	m = byID(fromReport(report, lookupAll(t, "P2.1"), "P", false))
	if r := m["P2.1"]; r.State != Failed || !r.FailsRun {
		t.Errorf("P2.1 without P1.2 selected = %+v, want failed", r)
	}
}

// TestRepeatedFindingsAreReportedOnce: the checks that watch the whole run
// find one defect after every spec that meets it, in the same words. The
// scenario's message gives each line once, says during which spec each new
// line was found, and names the specs that found only the same again.
func TestRepeatedFindingsAreReportedOnce(t *testing.T) {
	const rule = "P1.2 (MUST): every Set-Cookie that carries the session must be HttpOnly; during this spec:"
	profile := harness.AlsoFailed{ID: "P1.2", Message: rule + "\n  GET /profile → 200: lacks HttpOnly"}
	me := harness.AlsoFailed{ID: "P1.2", Message: rule + "\n  GET /api/me → 200: lacks HttpOnly"}
	found := func(name string, f harness.AlsoFailed) types.SpecReport {
		return itReport(name, types.SpecStateFailed, f.Message, entry(harness.AlsoFailedEntry, f))
	}
	report := types.Report{SpecReports: []types.SpecReport{
		itReport("P1.2 session cookie attributes", types.SpecStateFailed, "P1.2 (MUST): the login's Set-Cookie lacks HttpOnly"),
		found("P2.1 page request refreshes once and retries", profile),
		found("P2.2 api request refreshes once and retries", me),
		found("P2.3 retried PATCH keeps method, body and Content-Type", profile),
		found("P2.4 retry presents the new access token", me),
		found("P3.1 no retry loop when the resource keeps answering 401", profile),
	}}
	m := byID(fromReport(report, lookupAll(t, "P1.2", "P2.1", "P2.2", "P2.3", "P2.4", "P3.1"), "P", false))
	want := strings.Join([]string{
		"P1.2 (MUST): the login's Set-Cookie lacks HttpOnly",
		"found during P2.1: " + rule,
		"  GET /profile → 200: lacks HttpOnly",
		"found during P2.2:",
		"  GET /api/me → 200: lacks HttpOnly",
		"the same was found again during P2.3, P2.4 and P3.1",
	}, "\n")
	if got := m["P1.2"].Message; got != want {
		t.Errorf("P1.2 message =\n%s\nwant\n%s", got, want)
	}
	if got := strings.Count(m["P1.2"].Journal, "journal of "); got != 3 {
		t.Errorf("P1.2's journal holds %d specs' journals, want 3 (its own, P2.1's and P2.2's, which added to it):\n%s", got, m["P1.2"].Journal)
	}
	for _, id := range []string{"P2.1", "P2.2", "P2.3", "P2.4", "P3.1"} {
		if r := m[id]; r.State != Passed {
			t.Errorf("%s = %s, want passed: its only failure was P1.2's", id, r.State)
		}
	}
}

func TestAcceptedFailuresDoNotFailTheRun(t *testing.T) {
	report := types.Report{SpecReports: []types.SpecReport{
		itReport("P8.3 key rotation", types.SpecStateFailed, "P8.3 (SHOULD): session lost"),
		itReport("P8.2 cookie sealed with another secret is anonymous", types.SpecStatePassed, ""),
		itReport("P2.1 page request refreshes once and retries", types.SpecStatePassed, ""),
	}}
	res := fromReport(report, lookupAll(t, "P2.1", "P8.2", "P8.3"), "P", true)
	if res.Conformant() {
		t.Fatal("a strict SHOULD failure left the run conformant")
	}
	res.applyAccept(map[string]string{"P8.3": "MemoryStore", "P8.2": "old finding"})
	m := byID(res)
	if r := m["P8.3"]; r.State != Failed || r.FailsRun || r.Accepted != "MemoryStore" {
		t.Errorf("P8.3 = %+v, want an accepted failure", r)
	}
	if !res.Conformant() {
		t.Error("a run whose only failure is accepted is not conformant")
	}
	if got := res.StaleAccepts(); len(got) != 1 || got[0] != "P8.2" {
		t.Errorf("StaleAccepts = %v, want P8.2, which passed", got)
	}
	if got := res.AcceptedFailures(); len(got) != 1 || got[0] != "P8.3" {
		t.Errorf("AcceptedFailures = %v", got)
	}
}

func TestTableSpecsCombineIntoOneScenario(t *testing.T) {
	report := types.Report{SpecReports: []types.SpecReport{
		{LeafNodeType: types.NodeTypeIt, ContainerHierarchyTexts: []string{"P8.1 tampered cookie is anonymous"}, LeafNodeText: "one byte flipped", State: types.SpecStatePassed},
		{LeafNodeType: types.NodeTypeIt, ContainerHierarchyTexts: []string{"P8.1 tampered cookie is anonymous"}, LeafNodeText: "garbage", State: types.SpecStateFailed, Failure: types.Failure{Message: "got 500"}},
	}}
	res := fromReport(report, lookupAll(t, "P8.1"), "P", false)
	if len(res.Scenarios) != 1 || res.Scenarios[0].State != Failed || res.Scenarios[0].Message != "got 500" || !res.Scenarios[0].FailsRun {
		t.Errorf("P8.1 = %+v, want one failed scenario with the entry's message", res.Scenarios)
	}
}

func TestSelect(t *testing.T) {
	got, err := Select("P", []string{"P2", "P1.4"}, []string{"P2.3"})
	if err != nil {
		t.Fatal(err)
	}
	if ids := strings.Join(catalogue.IDs(got), ","); ids != "P1.4,P2.1,P2.2,P2.4" {
		t.Errorf("selected %s, want P1.4,P2.1,P2.2,P2.4", ids)
	}
	all, err := Select("B", nil, nil)
	if err != nil || len(all) != len(catalogue.Suite("B")) {
		t.Errorf("Select(B) = %d scenarios, %v; want all %d", len(all), err, len(catalogue.Suite("B")))
	}
	for _, bad := range []struct {
		suite       string
		focus, skip []string
		want        string
	}{
		{"P", []string{"P99.1"}, nil, `--focus: "P99.1"`},
		{"P", nil, []string{"bogus"}, `--skip: "bogus"`},
		{"P", []string{"B1.1"}, nil, "leave no scenario"},
		{"X", nil, nil, `suite "X"`},
	} {
		if _, err := Select(bad.suite, bad.focus, bad.skip); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Select(%s, %v, %v) error = %v, want one containing %s", bad.suite, bad.focus, bad.skip, err, bad.want)
		}
	}
}

func TestEverySkippedIsInconclusiveNotConformant(t *testing.T) {
	res := fromReport(types.Report{SpecReports: []types.SpecReport{
		itReport("P8.2 cookie sealed with another secret is anonymous", types.SpecStateSkipped, "the suite did not start this target"),
	}}, lookupAll(t, "P8.2", "P8.3"), "P", false)
	if !res.Inconclusive() || res.Conformant() {
		t.Errorf("all skipped: inconclusive=%v conformant=%v, want true, false", res.Inconclusive(), res.Conformant())
	}
	info := fromReport(types.Report{SpecReports: []types.SpecReport{
		itReport("P2.1 page request refreshes once and retries", types.SpecStatePassed, ""),
		itReport("P9.1 proactive refresh", types.SpecStateFailed, "could not measure"),
	}}, lookupAll(t, "P2.1", "P9.1"), "P", false)
	if info.Inconclusive() || !info.Conformant() {
		t.Errorf("an INFO failure beside a pass: inconclusive=%v conformant=%v, want false, true", info.Inconclusive(), info.Conformant())
	}
	infoAlone := fromReport(types.Report{SpecReports: []types.SpecReport{
		itReport("P9.1 proactive refresh", types.SpecStateFailed, "could not measure"),
	}}, lookupAll(t, "P9.1"), "P", false)
	if !infoAlone.Inconclusive() || infoAlone.Conformant() {
		t.Errorf("only an INFO that measured nothing: inconclusive=%v conformant=%v, want true, false", infoAlone.Inconclusive(), infoAlone.Conformant())
	}
	suite := fromReport(types.Report{SpecReports: []types.SpecReport{
		{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: "backend unreachable"}},
	}}, lookupAll(t, "P2.1"), "P", false)
	if suite.Inconclusive() || suite.Conformant() {
		t.Errorf("a suite failure with nothing run: inconclusive=%v conformant=%v, want false, false", suite.Inconclusive(), suite.Conformant())
	}
}

// TestInfoIsNeverFailed: an INFO scenario whose spec failed (its set-up
// assertion, a verdict, or a check after it) measured nothing; the reports
// say skipped, with the reason, never failed.
func TestInfoIsNeverFailed(t *testing.T) {
	verdict := entry(harness.VerdictEntry, harness.Verdict{Level: catalogue.Info, Failed: true, Message: "P4.3 (INFO): the login failed"})
	res := fromReport(types.Report{SpecReports: []types.SpecReport{
		itReport("P4.3 replayed pre-rotation cookie", types.SpecStatePassed, "", verdict),
		itReport("P8.6 cookie replayed after logout", types.SpecStateFailed, "the fake backend could not be reset"),
		itReport("P9.2 added latency over the direct backend call", types.SpecStatePassed, "", entry(harness.MeasuredEntry, "P9.2: median 1 ms")),
	}}, lookupAll(t, "P4.3", "P8.6", "P9.2"), "P", true)
	want := map[string]struct {
		state   State
		message string
	}{
		"P4.3": {Skipped, "not measured: P4.3 (INFO): the login failed"},
		"P8.6": {Skipped, "not measured: the fake backend could not be reset"},
		"P9.2": {Passed, ""},
	}
	for _, r := range res.Scenarios {
		w := want[r.ID]
		if r.State != w.state || r.Message != w.message || r.FailsRun {
			t.Errorf("%s: state %s, message %q, fails run %v; want %s, %q, false", r.ID, r.State, r.Message, r.FailsRun, w.state, w.message)
		}
	}
	if got := res.FailedWithoutFailingRun(catalogue.Info); len(got) != 0 {
		t.Errorf("INFO failures reported: %v, want none", got)
	}
}

// TestShouldPartOfAMust: P8.9 is a MUST with a SHOULD part
// (harness.FailPart). Outside strict mode a failure of that part, in its
// own spec (a verdict) or found during another (an AlsoFailed entry with
// its level), fails the scenario without failing the run, and the verdict
// counts it among the SHOULD failures; a failure of the MUST part fails it.
func TestShouldPartOfAMust(t *testing.T) {
	should := "P8.9 (SHOULD): GET /api/me → 200 says no Cache-Control"
	for _, c := range []struct {
		name string
		spec types.SpecReport
	}{
		{"own spec", itReport("P8.9 session responses are not stored by shared caches", types.SpecStatePassed, "",
			entry(harness.VerdictEntry, harness.Verdict{Level: catalogue.Should, Failed: true, Message: should}))},
		{"found during another", itReport("P2.2 api request refreshes once and retries", types.SpecStatePassed, "",
			entry(harness.AlsoFailedEntry, harness.AlsoFailed{ID: "P8.9", Level: catalogue.Should, Message: should}))},
	} {
		res := fromReport(types.Report{SpecReports: []types.SpecReport{c.spec}}, lookupAll(t, "P2.2", "P8.9"), "P", false)
		r := byID(res)["P8.9"]
		if r.State != Failed || r.FailsRun || !strings.Contains(r.Message, should) {
			t.Errorf("%s: P8.9 %s, fails run %v, message %q; want failed, not failing the run, with its message", c.name, r.State, r.FailsRun, r.Message)
		}
		if !res.Conformant() || len(res.FailedWithoutFailingRun(catalogue.Should)) != 1 {
			t.Errorf("%s: conformant %v, SHOULD failures %v; want conformant with P8.9 among the SHOULD failures", c.name, res.Conformant(), res.FailedWithoutFailingRun(catalogue.Should))
		}
	}
	must := fromReport(types.Report{SpecReports: []types.SpecReport{
		itReport("P2.2 api request refreshes once and retries", types.SpecStateFailed, "P8.9 (MUST): public",
			entry(harness.AlsoFailedEntry, harness.AlsoFailed{ID: "P8.9", Message: "P8.9 (MUST): public"})),
	}}, lookupAll(t, "P2.2", "P8.9"), "P", false)
	if r := byID(must)["P8.9"]; r.State != Failed || !r.FailsRun || must.Conformant() {
		t.Errorf("the MUST part: P8.9 %s, fails run %v, conformant %v; want failed, failing the run", r.State, r.FailsRun, must.Conformant())
	}
}
