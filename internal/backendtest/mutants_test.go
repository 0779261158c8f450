package backendtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
	"github.com/refreshspec/refreshspec/internal/suitetest"
	"github.com/refreshspec/refreshspec/spec/backendsuite"
)

// expectedCatch is the scenario that must fail when the fake backend is
// switched into each break: the backend suite's mutation self-test. A B suite
// that lets one of these pass is missing the check users rely on it for.
var expectedCatch = map[fakebackend.Break]string{
	fakebackend.BreakNoRotation:         "B2.1",
	fakebackend.BreakNoInvalidation:     "B2.3",
	fakebackend.BreakNoFamilyRevocation: "B2.4",
	fakebackend.BreakMalformedJSON500:   "B2.6",
	fakebackend.BreakNoCacheControl:     "B2.7",
	fakebackend.BreakNoWWWAuthenticate:  "B2.9",
	fakebackend.BreakNoRateLimit:        "B2.8",
	fakebackend.BreakWrongEnvelope:      "B1.1",
	fakebackend.BreakLogoutKeepsFamily:  "B2.10",
	fakebackend.BreakUnknownTokenIs500:  "B2.5",
	fakebackend.BreakRefreshSameAccess:  "B2.1",
	fakebackend.BreakBadCredentials200:  "B1.2",
}

// childRun is what one re-executed run of TestBackendSuite reported.
type childRun struct {
	mode     string // the mapping's name and what the run checks
	brk      fakebackend.Break
	failed   []string          // scenario IDs of the specs that failed
	messages map[string]string // failure or skip message by scenario ID
	skipped  []string
	passed   int
	setup    []string // failures outside the specs (BeforeSuite, BeforeEach)
	requests int64    // requests the B specs sent to the backend
	suite    time.Duration
	wall     time.Duration
	output   string
}

// TestBackendMutants proves that the B suite catches each way a backend is
// commonly broken, in every mapping of suitetest.DialectNames (contract.md
// §1, an OAuth 2.0 server, a team's own JSON backend): for every
// fakebackend.Break it re-runs TestBackendSuite in a child process against the
// fake backend serving that mapping, switched into that break, and asserts
// that the scenario written for it failed. More children check that nothing
// fails without a break in each mapping; that a declared reuse leeway is
// waited out (a fake clock moved, or a short leeway waited for) or, when it
// cannot be, B2.3 and B2.4 say so; that the checks that need time to pass
// wait for a short TTL or are skipped with the reason when nothing lets time
// pass; and that a backend answering HTML, tokenless 200s or nothing at all
// fails every MUST scenario with what was received, without crashing or
// hanging the run. Ginkgo runs its specs once per process, hence the
// children.
func TestBackendMutants(t *testing.T) {
	if testing.Short() {
		t.Skip("re-runs the backend suite once per break and mapping (47 child runs); skipped under -short")
	}
	backends := map[string]*suitetest.Backend{}
	for _, name := range suitetest.DialectNames {
		b, skip, err := sharedBackend(context.Background(), name)
		if skip != "" {
			t.Skip(skip)
		}
		if err != nil {
			t.Fatal(err)
		}
		backends[name] = b
	}
	b := backends[suitetest.DialectJSON]
	var runs []childRun
	all := len(catalogue.Suite("B"))

	for _, name := range suitetest.DialectNames {
		run := runChild(t, backends[name], name, "no break")
		runs = append(runs, run)
		if len(run.failed) > 0 || len(run.skipped) > 0 || run.passed != all {
			t.Errorf("%s: want all %d B specs to pass, got %d passed, failed %v, skipped %v\n%s",
				run.mode, all, run.passed, run.failed, run.skipped, tail(run.output))
		}
	}
	// A declared reuse leeway: with the fake backend's clock the suite
	// moves past it, a short one it waits out, and a long one on a backend
	// whose clock it cannot move leaves B2.3 and B2.4 skipped with the reason.
	for _, c := range []struct {
		mode    string
		env     []string
		skipped []string
	}{
		{"leeway 30s, clock", []string{envLeeway + "=30s"}, nil},
		{"leeway 1s, waited", []string{envLeeway + "=1s", envTiming + "=none"}, []string{"B2.8", "B2.9", "B2.12"}},
		{"leeway 30s, no clock", []string{envLeeway + "=30s", envTiming + "=none"}, []string{"B2.3", "B2.4", "B2.8", "B2.9", "B2.12"}},
	} {
		run := runChild(t, backends[suitetest.DialectOAuth2], suitetest.DialectOAuth2, c.mode, c.env...)
		runs = append(runs, run)
		if len(run.failed) > 0 || !slices.Equal(run.skipped, c.skipped) {
			t.Errorf("%s: want nothing failed and %v skipped, failed %v, skipped %v\n%s", run.mode, c.skipped, run.failed, run.skipped, tail(run.output))
		}
		for _, id := range []string{"B2.3", "B2.4"} {
			if slices.Contains(c.skipped, id) && !strings.Contains(run.messages[id], "reuse leeway") {
				t.Errorf("%s: %s was not skipped for the reuse leeway: %q", run.mode, id, run.messages[id])
			}
		}
	}
	// Checks that need time to pass: with a short access TTL they wait and
	// pass; with no way to let time pass they are skipped with the reason.
	wait := runChild(t, b, suitetest.DialectJSON, "no control, short TTL", envTiming+"=wait")
	runs = append(runs, wait)
	if len(wait.failed) > 0 || len(wait.skipped) > 0 {
		t.Errorf("%s: want every B spec to pass, failed %v, skipped %v\n%s", wait.mode, wait.failed, wait.skipped, tail(wait.output))
	}
	none := runChild(t, b, suitetest.DialectJSON, "nothing opted in", envTiming+"=none")
	runs = append(runs, none)
	if len(none.failed) > 0 || !slices.Equal(none.skipped, []string{"B2.8", "B2.9", "B2.12"}) {
		t.Errorf("%s: want only B2.8, B2.9 and B2.12 skipped and nothing failed, failed %v, skipped %v\n%s",
			none.mode, none.failed, none.skipped, tail(none.output))
	}
	for id, reason := range map[string]string{
		"B2.8": "runs only when asked", "B2.9": "needs an access token to expire", "B2.12": "needs an access token to expire",
	} {
		if msg := none.messages[id]; !strings.Contains(msg, reason) {
			t.Errorf("%s: %s was not skipped with the reason %q: %q", none.mode, id, reason, msg)
		}
	}

	for _, name := range suitetest.DialectNames {
		for _, br := range fakebackend.AllBreaks {
			want, ok := expectedCatch[br]
			if !ok {
				t.Errorf("break %s has no expected scenario in expectedCatch", br)
				continue
			}
			run := runChild(t, backends[name], name, string(br), envBreak+"="+string(br))
			runs = append(runs, run)
			if !slices.Contains(run.failed, want) {
				t.Errorf("%s: want %s to fail, failed %v\n%s", run.mode, want, run.failed, tail(run.output))
			}
		}
	}

	// A backend that answers badly fails every MUST scenario, each with
	// what it received (the status or the timeout, and for login the
	// evidence of this kind of bad answer), and the run ends: no crash, no
	// hang.
	hostile := []struct{ mode, loginEvidence string }{
		{"html", `Content-Type "text/html`},
		{"missing-field", "no access token"},
		{"hang", "no answer within"},
	}
	received := regexp.MustCompile(`answered \d{3}|no answer within`)
	for _, h := range hostile {
		run := runChild(t, b, suitetest.DialectJSON, "hostile "+h.mode, envHostile+"="+h.mode)
		runs = append(runs, run)
		for _, s := range catalogue.Suite("B") {
			if s.Level != catalogue.Must {
				continue
			}
			msg, failed := run.messages[s.ID]
			switch {
			case !failed:
				t.Errorf("%s: want %s to fail, failed %v", run.mode, s.ID, run.failed)
			case !received.MatchString(msg):
				t.Errorf("%s: %s's failure does not show what was received:\n%s", run.mode, s.ID, msg)
			case s.ID == "B1.1" && !strings.Contains(msg, h.loginEvidence):
				t.Errorf("%s: B1.1's failure does not show the bad answer (want %q in it):\n%s", run.mode, h.loginEvidence, msg)
			}
		}
	}

	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "mode\twant failed\tfailed\tpassed\tskipped\trequests\tsuite\twall")
	for _, r := range runs {
		want := "-"
		if id, ok := expectedCatch[r.brk]; ok {
			want = id
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", r.mode, want, strings.Join(r.failed, " "),
			r.passed, len(r.skipped), r.requests, r.suite.Round(time.Millisecond), r.wall.Round(time.Millisecond))
	}
	tw.Flush()
	t.Logf("backend suite against the fake backend (%s), once per mode:\n%s", b.Kind, sb.String())
}

// runChild re-executes this test binary to run TestBackendSuite once in the
// named mapping, with b's URLs (b serves that mapping) and extra
// environment, and reads its Ginkgo JSON report.
func runChild(t *testing.T, b *suitetest.Backend, dialect, what string, env ...string) childRun {
	t.Helper()
	mode := dialect + ": " + what
	env = append(env, envDialect+"="+dialect)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	child := suitetest.Child{
		Test: "TestBackendSuite",
		Env:  append(append(withoutModeEnv(os.Environ()), envBackendURL+"="+b.URL, envControlURL+"="+b.ControlURL), env...),
		Args: []string{"-test.timeout=3m", "-ginkgo.no-color"},
	}
	start := time.Now()
	reports, out, err := child.Run(ctx)
	run := childRun{mode: mode, wall: time.Since(start), output: out}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, envBreak+"="); ok {
			run.brk = fakebackend.Break(v)
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("%s: the child run did not finish within 4 minutes\n%s", mode, tail(run.output))
	}
	if err != nil {
		t.Fatalf("%s: %v\n%s", mode, err, tail(run.output))
	}
	for _, r := range reports {
		run.suite += r.RunTime
		for _, s := range r.SpecReports {
			run.read(s)
		}
	}
	if len(run.setup) > 0 {
		t.Fatalf("%s: the child run failed outside the specs: %v\n%s", mode, run.setup, tail(run.output))
	}
	return run
}

// read adds one spec report to the run.
func (run *childRun) read(s types.SpecReport) {
	for _, e := range s.ReportEntries {
		if e.Name != backendsuite.RequestsEntry {
			continue
		}
		var n backendsuite.Requests
		if json.Unmarshal([]byte(e.Value.AsJSON), &n) == nil && n.Run > run.requests {
			run.requests = n.Run
		}
	}
	if s.LeafNodeType != types.NodeTypeIt {
		if s.State.Is(types.SpecStateFailureStates) {
			run.setup = append(run.setup, fmt.Sprintf("%s: %s", s.LeafNodeType, s.Failure.Message))
		}
		return
	}
	id := suitetest.ScenarioID(s)
	switch {
	case s.State.Is(types.SpecStateFailureStates):
		run.failed = append(run.failed, id)
		run.note(id, s.Failure.Message)
	case s.State == types.SpecStateSkipped:
		run.skipped = append(run.skipped, id)
		run.note(id, s.Failure.Message)
	case s.State == types.SpecStatePassed:
		run.passed++
	}
}

func (run *childRun) note(id, message string) {
	if run.messages == nil {
		run.messages = map[string]string{}
	}
	run.messages[id] = message
}

// withoutModeEnv drops the variables that choose a run's mode, so that a
// child gets only the ones its parent means it to.
func withoutModeEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case envBackend, envBackendURL, envControlURL, envBreak, envDialect, envHostile, envTiming, envLeeway, envRotation, envDeclareRotation, "REFRESHSPEC_DECLARE_OVERRIDE":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// tail is the end of a child's output, where Ginkgo summarises failures.
func tail(s string) string {
	const keep = 6000
	if len(s) <= keep {
		return s
	}
	return "..." + s[len(s)-keep:]
}
