package runner

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/internal/harness"
)

// TestRunWithAFakeSpecSet runs Ginkgo for real on a small spec set that
// stands in for the suite: Ginkgo runs once per process, so this is the only
// test in the package that calls Run.
func TestRunWithAFakeSpecSet(t *testing.T) {
	ranUnselected := false
	specs := func() {
		ginkgo.It("P1.1 login response carries no token", func() { ranUnselected = true })
		ginkgo.It("P1.2 session cookie attributes", func() {})
		harness.It("P1.4", func() bool { return false }, func() {
			// What a suite's AfterEach writes to explain a failure.
			harness.Explain("what the fake backend journaled: #1 POST /auth/login 200\n")
			gomega.Expect("5000 bytes").To(gomega.BeEmpty(), "the cookie's size")
		})
		harness.It("P2.1", func() bool { return false }, func() {
			ginkgo.GinkgoWriter.Println("backend journal: GET /api/user/me 401")
			harness.Note("after restart 1 (COOKIE_SECURE=true)")
			gomega.Expect(2).To(gomega.Equal(1), "refresh calls")
		})
		ginkgo.It("P2.2 api request refreshes once and retries", func() {
			ginkgo.AddReportEntry(harness.MeasuredEntry, "took 3 ms")
			// What a check over the whole run does after a spec's body.
			harness.FailFor("P1.2", false, "the rotated Set-Cookie lacks HttpOnly")
		})
		ginkgo.It("P2.3 retried PATCH keeps method, body and Content-Type", func() { ginkgo.Skip("needs a PATCH route") })
		// The same check again: nothing new, nothing to print.
		ginkgo.It("P2.4 retry presents the new access token", func() {
			harness.FailFor("P1.2", false, "the rotated Set-Cookie lacks HttpOnly")
		})
		// And with something new: only that is printed.
		ginkgo.It("P3.1 no retry loop when the resource keeps answering 401", func() {
			harness.FailFor("P1.2", false, "the rotated Set-Cookie lacks HttpOnly\n  GET /api/me: lacks SameSite")
		})
	}
	// Ordered, so that P1.2 is reported before P2.2 finds its failure.
	register := func() { ginkgo.Describe("the suite", ginkgo.Ordered, ginkgo.ContinueOnFailure, specs) }
	var progress []string
	var updates []ScenarioResult
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{
		Suite: "P", Focus: []string{"P1.2", "P1.4", "P2", "P3.1", "P3.2"}, Out: &out, Timeout: time.Minute,
		Progress: func(r ScenarioResult) { progress = append(progress, r.ID+"="+string(r.State)) },
		Update: func(r ScenarioResult, was State) {
			progress = append(progress, r.ID+"="+string(was)+"->"+string(r.State))
			updates = append(updates, r)
		},
		register: register,
	})
	if err != nil {
		t.Fatal(err)
	}
	if ranUnselected {
		t.Error("P1.1 ran although --focus did not select it")
	}
	got := map[string]ScenarioResult{}
	var ids []string
	for _, s := range res.Scenarios {
		got[s.ID] = s
		ids = append(ids, s.ID)
	}
	if strings.Join(ids, ",") != "P1.2,P1.4,P2.1,P2.2,P2.3,P2.4,P3.1,P3.2" {
		t.Fatalf("scenarios = %v, want P1.2,P1.4,P2.1,P2.2,P2.3,P2.4,P3.1,P3.2", ids)
	}
	if r := got["P2.1"]; r.State != Failed || !r.FailsRun || !strings.Contains(r.Message, "refresh calls") || !strings.Contains(r.Journal, "GET /api/user/me 401") {
		t.Errorf("P2.1 = %+v, want a fatal failure with the assertion's message and the journal", r)
	}
	if r := got["P2.1"]; !strings.HasPrefix(r.Message, "P2.1 (MUST): ") || !strings.HasSuffix(r.Message, "(after restart 1 (COOKIE_SECURE=true))") {
		t.Errorf("P2.1 message = %q, want the ID in front and the restart's note at the end", r.Message)
	}
	wantP12 := "found during P2.2: P1.2 (MUST): the rotated Set-Cookie lacks HttpOnly\n" +
		"found during P3.1:\n  GET /api/me: lacks SameSite\n" +
		"the same was found again during P2.4"
	if r := got["P1.2"]; r.State != Failed || !r.FailsRun || r.Message != wantP12 {
		t.Errorf("P1.2 = %+v, want the failures P2.2 and P3.1 found:\n%s", r, wantP12)
	}
	if r := got["P1.4"]; r.State != Failed || r.FailsRun || !strings.HasPrefix(r.Message, "P1.4 (SHOULD): the cookie's size") {
		t.Errorf("P1.4 = %+v, want a non-fatal SHOULD failure", r)
	}
	// The journal under a failure holds what the spec recorded, not the
	// failure and the requirement printed above it once more.
	if r := got["P1.4"]; r.Journal != "what the fake backend journaled: #1 POST /auth/login 200\n" {
		t.Errorf("P1.4 journal = %q, want only what the spec recorded", r.Journal)
	}
	if r := got["P2.2"]; r.State != Passed || len(r.Measured) != 2 || r.Measured[0] != "took 3 ms" {
		t.Errorf("P2.2 = %+v, want passed with its measurement and a note of P1.2's failure", r)
	}
	if r := got["P2.3"]; r.State != Skipped || r.Message != "needs a PATCH route" {
		t.Errorf("P2.3 = %+v, want skipped with the reason", r)
	}
	if r := got["P3.2"]; r.State != Skipped {
		t.Errorf("P3.2 has no spec: %+v, want skipped", r)
	}
	if res.Conformant() {
		t.Error("run with a failed MUST scenario is conformant")
	}
	// One call per scenario that ran; an update of P1.2 after each spec
	// that found something new of it, once that spec's line is out, and
	// none after P2.4, which found the same again.
	if got, want := strings.Join(progress, " "), "P1.2=passed P1.4=failed P2.1=failed P2.2=passed P1.2=passed->failed P2.3=skipped P2.4=passed P3.1=passed P1.2=failed->failed"; got != want {
		t.Errorf("progress = %s, want %s", got, want)
	}
	if len(updates) == 2 {
		if u := updates[1]; u.Message != "found during P3.1:\n  GET /api/me: lacks SameSite" || !u.FailsRun {
			t.Errorf("second update of P1.2 = %+v, want only the new line, failing the run", u)
		}
	}
	if out.Len() != 0 {
		t.Errorf("Ginkgo wrote to Out without Verbose: %q", out.String())
	}

	if _, err := Run(context.Background(), Options{Suite: "P", register: register}); !errors.Is(err, ErrAlreadyRan) {
		t.Errorf("second Run: %v, want ErrAlreadyRan", err)
	}
}
