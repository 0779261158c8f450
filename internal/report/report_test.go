package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/internal/runner"
)

func scenario(id string, state runner.State, msg string, failsRun bool) runner.ScenarioResult {
	s := catalogue.MustLookup(id)
	return runner.ScenarioResult{ID: s.ID, Level: s.Level, Title: s.Title, Requirement: s.Requirement,
		State: state, Message: msg, FailsRun: failsRun, Duration: 1500 * time.Millisecond}
}

func sample() runner.Result {
	failed := scenario("P2.2", runner.Failed, "Expected\n    <int>: 2\nto equal\n    <int>: 1", true)
	failed.Journal = "GET /api/user/me -> 401\nPOST /auth/refresh -> 200 \x01"
	info := scenario("P9.2", runner.Passed, "", false)
	info.Measured = []string{"median 3ms, p99 9ms"}
	return runner.Result{Suite: "P", Duration: 12 * time.Second, Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Scenarios: []runner.ScenarioResult{
		scenario("P2.1", runner.Passed, "", false),
		failed,
		scenario("P1.4", runner.Failed, "cookie is 5000 bytes", false),
		scenario("P8.3", runner.Skipped, "the suite did not start this target", false),
		info,
	}}
}

func TestConsoleShowsEveryScenarioFailuresAndTheClosingLine(t *testing.T) {
	var b bytes.Buffer
	WriteConsole(&b, sample(), false)
	out := b.String()
	for _, want := range []string{
		"PASS  P2.1   MUST   page request refreshes once and retries",
		"FAIL  P2.2   MUST   api request refreshes once and retries\n      requirement: the same for an api route",
		"to equal",
		"POST /auth/refresh -> 200",
		"FAIL  P1.4   SHOULD session cookie under 4096 bytes  (not fatal without --strict)",
		"SKIP  P8.3",
		"skipped: the suite did not start this target",
		"measured: median 3ms, p99 9ms",
		"verdict: NOT conformant: P2.2 failed", "\n2 passed, 2 failed, 1 skipped\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "requirement: the same for an api route") != 1 {
		t.Errorf("the requirement is printed more than once:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[len(lines)-1], "2 passed, 2 failed, 1 skipped") {
		t.Errorf("last line = %q, want the counts", lines[len(lines)-1])
	}
}

// TestConsoleUpdateSaysItIsOne: a failure another spec found of a scenario
// printed before is printed as an update of it, saying what it was above,
// with only what is new; the requirement only when the block above did not
// print it, the finding spec's journal only with -v, and nothing for a
// failure accepted above.
func TestConsoleUpdateSaysItIsOne(t *testing.T) {
	found := scenario("P1.2", runner.Failed, "found during P2.1: P1.2 (MUST): every Set-Cookie must be HttpOnly\n  GET /profile → 200: lacks HttpOnly", true)
	found.Journal = "what the fake backend journaled during P2.1"
	requirement := "      requirement: " + found.Requirement + "\n"

	var b bytes.Buffer
	Console{W: &b}.Update(found, runner.Passed)
	want := "FAIL  P1.2   MUST   session cookie attributes  (update: reported PASS above)\n" + requirement +
		"      found during P2.1: P1.2 (MUST): every Set-Cookie must be HttpOnly\n        GET /profile → 200: lacks HttpOnly\n"
	if b.String() != want {
		t.Errorf("update of a scenario printed PASS:\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	Console{W: &b, Verbose: true}.Update(found, runner.Failed)
	out := b.String()
	if !strings.HasPrefix(out, "FAIL  P1.2   MUST   session cookie attributes  (update)\n      found during P2.1") ||
		strings.Contains(out, "requirement:") || !strings.Contains(out, "what the fake backend journaled during P2.1") {
		t.Errorf("verbose update of a scenario printed FAIL, want no requirement and the journal:\n%s", out)
	}

	should := scenario("P6.1", runner.Failed, "found during P2.1: P6.1 (SHOULD): the session ended", false)
	b.Reset()
	Console{W: &b}.Update(should, runner.Skipped)
	if line, _, _ := strings.Cut(b.String(), "\n"); line != "FAIL  P6.1   SHOULD refresh 5xx keeps the session  (update: reported SKIP above; not fatal without --strict)" {
		t.Errorf("update of a SHOULD: %q", line)
	}

	found.Accepted, found.FailsRun = "known", false
	b.Reset()
	Console{W: &b}.Update(found, runner.Failed)
	if b.Len() != 0 {
		t.Errorf("update of a failure accepted above printed %q, want nothing", b.String())
	}
}

// junitDoc is the Surefire schema's shape as a CI reader parses it.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuite"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Errors   int      `xml:"errors,attr"`
	Cases    []struct {
		Name      *string `xml:"name,attr"`
		Classname *string `xml:"classname,attr"`
		Failure   *struct {
			Message string `xml:"message,attr"`
			Type    string `xml:"type,attr"`
			Text    string `xml:",chardata"`
		} `xml:"failure"`
		Skipped *struct {
			Message string `xml:"message,attr"`
		} `xml:"skipped"`
	} `xml:"testcase"`
}

func TestJUnitIsSurefireShaped(t *testing.T) {
	res := sample()
	res.SuiteFailures = []string{"BeforeSuite failed: backend unreachable"}
	var b bytes.Buffer
	if err := WriteJUnit(&b, res); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit output does not parse: %v\n%s", err, b.String())
	}
	if doc.Tests != 6 || doc.Failures != 2 || doc.Skipped != 1 || doc.Errors != 1 {
		t.Errorf("counts tests=%d failures=%d skipped=%d errors=%d, want 6, 2, 1, 1", doc.Tests, doc.Failures, doc.Skipped, doc.Errors)
	}
	byName := map[string]int{}
	for i, c := range doc.Cases {
		if c.Name == nil || *c.Name == "" || c.Classname == nil || *c.Classname == "" {
			t.Fatalf("testcase %d lacks name or classname", i)
		}
		byName[*c.Name] = i
	}
	p22 := doc.Cases[byName["P2.2 api request refreshes once and retries"]]
	if *p22.Classname != "refreshspec.P2" || p22.Failure == nil || p22.Failure.Message != "Expected <int>: 2 to equal <int>: 1" ||
		!strings.Contains(p22.Failure.Text, "to equal") || !strings.Contains(p22.Failure.Text, "requirement: the same for an api route") {
		t.Errorf("P2.2 testcase = %+v", p22)
	}
	p14 := doc.Cases[byName["P1.4 session cookie under 4096 bytes"]]
	if p14.Failure == nil || !strings.Contains(p14.Failure.Type, "not fatal") {
		t.Errorf("P1.4's failure does not say it is not fatal: %+v", p14.Failure)
	}
	p83 := doc.Cases[byName["P8.3 key rotation keeps old cookies and reseals them"]]
	if p83.Skipped == nil || p83.Skipped.Message == "" {
		t.Errorf("P8.3 is not skipped with a message: %+v", p83)
	}
}

func TestJSONReport(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Scenarios []map[string]any `json:"scenarios"`
		Summary   map[string]any   `json:"summary"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Scenarios) != 5 {
		t.Fatalf("%d scenarios, want 5", len(doc.Scenarios))
	}
	s := doc.Scenarios[1]
	if s["id"] != "P2.2" || s["level"] != "MUST" || s["title"] != "api request refreshes once and retries" || s["state"] != "failed" || !strings.Contains(s["message"].(string), "to equal") {
		t.Errorf("P2.2 = %v", s)
	}
	for _, k := range []string{"passed", "failed", "skipped", "strict", "conformant", "duration"} {
		if _, ok := doc.Summary[k]; !ok {
			t.Errorf("summary lacks %q: %v", k, doc.Summary)
		}
	}
	if doc.Summary["passed"] != 2.0 || doc.Summary["failed"] != 2.0 || doc.Summary["conformant"] != false || doc.Summary["duration"] != 12.0 {
		t.Errorf("summary = %v", doc.Summary)
	}
}

func TestMarkdownSummary(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, sample()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"NOT conformant: P2.2 failed", "2 passed, 2 failed, 1 skipped", "| P2.2 | MUST | failed | api request refreshes once and retries | Expected <int>: 2 to equal <int>: 1 |", "not fatal without --strict", "median 3ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "| P2.1 |") {
		t.Error("markdown lists a scenario that passed without measuring anything")
	}
}

func TestFilesReplaceOrAppend(t *testing.T) {
	dir := t.TempDir()
	summary, junit := dir+"/summary.md", dir+"/junit.xml"
	for range 2 {
		if err := AppendFile(summary, sample(), WriteMarkdown); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(junit, sample(), WriteJUnit); err != nil {
			t.Fatal(err)
		}
	}
	md, _ := os.ReadFile(summary)
	if n := strings.Count(string(md), "## refreshspec"); n != 2 {
		t.Errorf("the summary file holds %d summaries after two appends, want 2", n)
	}
	x, _ := os.ReadFile(junit)
	if n := strings.Count(string(x), "<testsuite "); n != 1 {
		t.Errorf("the JUnit file holds %d suites after two writes, want 1", n)
	}
	if err := WriteFile(dir+"/missing/dir/r.json", sample(), WriteJSON); err == nil || !strings.Contains(err.Error(), "missing/dir/r.json") {
		t.Errorf("error for an unwritable path = %v, want one naming it", err)
	}
}

func TestInfoFailureIsNoJUnitFailure(t *testing.T) {
	info := scenario("P9.1", runner.Failed, "could not measure: no expires_in", false)
	info.Journal = "GET /profile -> 200"
	should := scenario("P1.4", runner.Failed, "cookie is 5000 bytes", false)
	res := runner.Result{Suite: "P", Scenarios: []runner.ScenarioResult{scenario("P2.1", runner.Passed, "", false), should, info}}
	var b bytes.Buffer
	if err := WriteJUnit(&b, res); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Name      string    `xml:"name,attr"`
			Failure   *struct{} `xml:"failure"`
			SystemOut string    `xml:"system-out"`
		} `xml:"testcase"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit output does not parse: %v\n%s", err, b.String())
	}
	if doc.Failures != 1 {
		t.Errorf("failures=%d, want 1 (the SHOULD scenario; INFO never fails)", doc.Failures)
	}
	for _, c := range doc.Cases {
		switch {
		case strings.HasPrefix(c.Name, "P9.1 "):
			if c.Failure != nil || !strings.Contains(c.SystemOut, "could not measure: no expires_in") || !strings.Contains(c.SystemOut, "GET /profile -> 200") {
				t.Errorf("INFO testcase: failure=%v system-out=%q, want no failure and the message in system-out", c.Failure != nil, c.SystemOut)
			}
		case strings.HasPrefix(c.Name, "P1.4 "):
			if c.Failure == nil {
				t.Error("a non-strict SHOULD failure is not a JUnit <failure>")
			}
		}
	}
}

func TestEverySkippedIsInconclusive(t *testing.T) {
	res := runner.Result{Suite: "PW", Scenarios: []runner.ScenarioResult{
		scenario("W1.1", runner.Skipped, "no Chromium", false),
		scenario("W1.2", runner.Skipped, "no Chromium", false),
	}}
	var console, js, md bytes.Buffer
	WriteConsole(&console, res, false)
	if !strings.Contains(console.String(), "verdict: inconclusive: every selected scenario was skipped") {
		t.Errorf("console verdict:\n%s", console.String())
	}
	if err := WriteJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary map[string]any `json:"summary"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary["conformant"] != false || doc.Summary["inconclusive"] != true {
		t.Errorf("JSON summary = %v, want conformant false and inconclusive true", doc.Summary)
	}
	if err := WriteMarkdown(&md, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "inconclusive") || strings.Contains(md.String(), "✅") {
		t.Errorf("markdown:\n%s", md.String())
	}
	js.Reset()
	if err := WriteJSON(&js, sample()); err != nil || !strings.Contains(js.String(), `"inconclusive": false`) {
		t.Errorf("a run that checked something: %v\n%s", err, js.String())
	}
}

// baseline is a strict run whose P8.3 failure is accepted, P8.2 accepted
// but passing, and two SHOULDs failing without --strict's effect on them.
func baseline() runner.Result {
	accepted := scenario("P8.3", runner.Failed, "P8.3 (SHOULD): the session was lost across the restart", false)
	accepted.Accepted = "MemoryStore: sessions do not survive a restart"
	return runner.Result{Suite: "P", Duration: time.Second, Scenarios: []runner.ScenarioResult{
		scenario("P2.1", runner.Passed, "", false),
		scenario("P6.1", runner.Failed, "got 500", false),
		scenario("P6.2", runner.Failed, "got 504", false),
		scenario("P8.2", runner.Passed, "", false),
		accepted,
	}, Accept: map[string]string{"P8.3": accepted.Accepted, "P8.2": "an old finding"}}
}

func TestAcceptedAndShouldFailuresInEveryReport(t *testing.T) {
	res := baseline()
	if v := Verdict(res); v != "conformant; 2 SHOULD failed: P6.1, P6.2; 1 accepted: P8.3" {
		t.Errorf("verdict = %q", v)
	}
	var console bytes.Buffer
	WriteConsole(&console, res, false)
	for _, want := range []string{
		"ACCEPTED  P8.3   SHOULD key rotation",
		"accepted: MemoryStore: sessions do not survive a restart",
		"the failure: P8.3 (SHOULD): the session was lost",
		"accepted P8.2 passed in this run: drop it from the accept list (its reason: an old finding)",
		"verdict: conformant; 2 SHOULD failed: P6.1, P6.2; 1 accepted: P8.3 (",
	} {
		if !strings.Contains(console.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, console.String())
		}
	}

	var js bytes.Buffer
	if err := WriteJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	var rep JSONReport
	if err := json.Unmarshal(js.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Scenarios[4].Accepted == "" || rep.Scenarios[4].FailsRun || !rep.Summary.Conformant || len(rep.Summary.StaleAccepts) != 1 || rep.Summary.StaleAccepts[0] != "P8.2" {
		t.Errorf("JSON = %s", js.String())
	}

	var junit bytes.Buffer
	if err := WriteJUnit(&junit, res); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(junit.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	p83 := doc.Cases[4]
	if p83.Failure != nil || p83.Skipped == nil || !strings.HasPrefix(p83.Skipped.Message, "ACCEPTED: MemoryStore") {
		t.Errorf("accepted P8.3 in JUnit = %+v, want a skipped testcase saying ACCEPTED and why", p83)
	}
	if doc.Failures != 2 || doc.Skipped != 1 {
		t.Errorf("JUnit counts failures=%d skipped=%d, want 2 (the SHOULDs) and 1 (the accepted)", doc.Failures, doc.Skipped)
	}

	var md bytes.Buffer
	if err := WriteMarkdown(&md, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| P8.3 | SHOULD | ACCEPTED (accepted: MemoryStore", "accepted P8.2 passed in this run", "✅ conformant; 2 SHOULD failed"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

func TestInterruptedRunSaysSo(t *testing.T) {
	res := sample()
	res.Interrupted = "Interrupted by User"
	var b bytes.Buffer
	WriteConsole(&b, res, false)
	if !strings.Contains(b.String(), "verdict: interrupted (Interrupted by User)") || strings.Contains(b.String(), "NOT conformant") {
		t.Errorf("console of an interrupted run:\n%s", b.String())
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"interrupted": "Interrupted by User"`) || !strings.Contains(js.String(), `"conformant": false`) {
		t.Errorf("JSON of an interrupted run:\n%s", js.String())
	}
}
