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

	"github.com/refreshspec/refreshspec/spec"
	"github.com/refreshspec/refreshspec/spec/catalogue"
)

// TestRunWithAFakeSpecSet runs Ginkgo for real on a small spec set that
// stands in for the suite: Ginkgo runs once per process, so this is the only
// test in the package that calls Run.
func TestRunWithAFakeSpecSet(t *testing.T) {
	ranUnselected := false
	register := func() {
		ginkgo.It("P1.1 login response carries no token", func() { ranUnselected = true })
		ginkgo.It("P1.4 session cookie under 4096 bytes", func() {
			ginkgo.AddReportEntry(spec.VerdictEntry, spec.Verdict{Level: catalogue.Should, Failed: true, Message: "cookie is 5000 bytes"})
		})
		ginkgo.It("P2.1 page request refreshes once and retries", func() {
			ginkgo.GinkgoWriter.Println("backend journal: GET /api/user/me 401")
			gomega.Expect(2).To(gomega.Equal(1), "refresh calls")
		})
		ginkgo.It("P2.2 api request refreshes once and retries", func() {
			spec.Measured("took %d ms", 3)
		})
		ginkgo.It("P2.3 retried PATCH keeps method and body", func() { ginkgo.Skip("needs a PATCH route") })
	}
	var progress []string
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{
		Suite: "P", Focus: []string{"P1.4", "P2"}, Out: &out, Timeout: time.Minute,
		Progress: func(r ScenarioResult) { progress = append(progress, r.ID+"="+string(r.State)) },
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
	if strings.Join(ids, ",") != "P1.4,P2.1,P2.2,P2.3,P2.4" {
		t.Fatalf("scenarios = %v, want P1.4,P2.1,P2.2,P2.3,P2.4", ids)
	}
	if r := got["P2.1"]; r.State != Failed || !r.FailsRun || !strings.Contains(r.Message, "refresh calls") || !strings.Contains(r.Journal, "GET /api/user/me 401") {
		t.Errorf("P2.1 = %+v, want a fatal failure with the assertion's message and the journal", r)
	}
	if r := got["P1.4"]; r.State != Failed || r.FailsRun || r.Message != "cookie is 5000 bytes" {
		t.Errorf("P1.4 = %+v, want a non-fatal SHOULD failure", r)
	}
	if r := got["P2.2"]; r.State != Passed || len(r.Measured) != 1 || r.Measured[0] != "took 3 ms" {
		t.Errorf("P2.2 = %+v, want passed with its measurement", r)
	}
	if r := got["P2.3"]; r.State != Skipped || r.Message != "needs a PATCH route" {
		t.Errorf("P2.3 = %+v, want skipped with the reason", r)
	}
	if r := got["P2.4"]; r.State != Skipped {
		t.Errorf("P2.4 has no spec: %+v, want skipped", r)
	}
	if res.Conformant() {
		t.Error("run with a failed MUST scenario is conformant")
	}
	if len(progress) != 4 {
		t.Errorf("progress = %v, want one call per spec that ran", progress)
	}
	if out.Len() != 0 {
		t.Errorf("Ginkgo wrote to Out without Verbose: %q", out.String())
	}

	if _, err := Run(context.Background(), Options{Suite: "P", register: register}); !errors.Is(err, ErrAlreadyRan) {
		t.Errorf("second Run: %v, want ErrAlreadyRan", err)
	}
}
