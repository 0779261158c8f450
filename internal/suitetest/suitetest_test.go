package suitetest

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshspec/refreshspec/internal/fakebackend"
	"github.com/refreshspec/refreshspec/internal/harness"
)

func TestShellQuoteSurvivesTheShell(t *testing.T) {
	for _, s := range []string{"/tmp/plain/reference", "/tmp/with space/ref", "/tmp/it's/ref", `/tmp/"$HOME"/;ref`} {
		out, err := exec.Command("sh", "-c", "printf %s "+ShellQuote(s)).Output()
		if err != nil {
			t.Fatalf("sh -c with %q: %v", s, err)
		}
		if string(out) != s {
			t.Errorf("sh read ShellQuote(%q) as %q", s, out)
		}
	}
}

func spec(node types.NodeType, text string, state types.SpecState) types.SpecReport {
	return types.SpecReport{LeafNodeType: node, LeafNodeText: text, State: state}
}

func TestFailedIDsInOrderWithoutRepeats(t *testing.T) {
	reports := []types.Report{{SpecReports: types.SpecReports{
		spec(types.NodeTypeBeforeSuite, "", types.SpecStatePassed),
		spec(types.NodeTypeIt, "P1.1 cookie is encrypted", types.SpecStatePassed),
		spec(types.NodeTypeIt, "P2.3 body kept [POST]", types.SpecStateFailed),
		spec(types.NodeTypeIt, "P1.2 cookie is HttpOnly", types.SpecStateTimedout),
		spec(types.NodeTypeIt, "P2.3 body kept [PUT]", types.SpecStateFailed),
		spec(types.NodeTypeIt, "P5.1 session ends", types.SpecStateSkipped),
		spec(types.NodeTypeAfterEach, "", types.SpecStateFailed),
	}}}
	got, err := FailedIDs(reports)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"P2.3", "P1.2"}; !slices.Equal(got, want) {
		t.Errorf("FailedIDs = %v, want %v", got, want)
	}
}

// A spec that found a failure of another scenario (harness.FailFor)
// counts as that scenario's failure too: the browser suite finds P8.4's.
func TestFailedIDsTakeFailuresFoundForOtherScenarios(t *testing.T) {
	w11 := spec(types.NodeTypeIt, "W1.1 browser login shows the first name", types.SpecStateFailed)
	raw, err := json.Marshal(harness.AlsoFailed{ID: "P8.4", Message: "P8.4 (MUST): a token"})
	if err != nil {
		t.Fatal(err)
	}
	w11.ReportEntries = types.ReportEntries{{Name: harness.AlsoFailedEntry, Value: types.ReportEntryValue{AsJSON: string(raw)}}}
	got, err := FailedIDs([]types.Report{{SpecReports: types.SpecReports{w11}}})
	if err != nil || !slices.Equal(got, []string{"W1.1", "P8.4"}) {
		t.Errorf("FailedIDs = %v, %v; want W1.1 and P8.4", got, err)
	}
}

// A run whose set-up failed caught nothing, however many specs it marks
// failed: FailedIDs must say so rather than report them.
func TestFailedIDsRefusesARunWhoseSetupFailed(t *testing.T) {
	beforeSuite := spec(types.NodeTypeBeforeSuite, "", types.SpecStateFailed)
	beforeSuite.Failure.Message = "starting the reference proxy"
	for name, r := range map[string]types.Report{
		"BeforeSuite failed": {SpecReports: types.SpecReports{beforeSuite, spec(types.NodeTypeIt, "P1.1 x", types.SpecStateFailed)}},
		"no spec ran":        {SuiteSucceeded: false, SpecialSuiteFailureReasons: []string{"interrupted"}},
	} {
		if ids, err := FailedIDs([]types.Report{r}); err == nil {
			t.Errorf("%s: FailedIDs = %v and no error", name, ids)
		}
	}
}

func TestBackendFromEnvWantsBothURLs(t *testing.T) {
	t.Setenv(EnvBackendURL, "http://127.0.0.1:1")
	t.Setenv(EnvControlURL, "")
	if UsesContainer() {
		t.Error("UsesContainer with a backend URL set")
	}
	if _, err := BackendFromEnv(context.Background()); err == nil || !strings.Contains(err.Error(), EnvControlURL) {
		t.Errorf("BackendFromEnv with only %s set: err = %v, want one naming %s", EnvBackendURL, err, EnvControlURL)
	}
	t.Setenv(EnvControlURL, "http://127.0.0.1:2")
	b, err := BackendFromEnv(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != "reused" || b.URL != "http://127.0.0.1:1" || b.ControlURL != "http://127.0.0.1:2" || b.Control == nil {
		t.Errorf("BackendFromEnv = %+v, want the reused backend the variables name", b)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Errorf("closing a reused backend, which this process does not own: %v", err)
	}
}

func TestStartBackendInProcess(t *testing.T) {
	t.Setenv(EnvBackend, "local")
	t.Setenv(EnvBackendURL, "")
	t.Setenv(EnvControlURL, "")
	if UsesContainer() {
		t.Errorf("UsesContainer with %s=local", EnvBackend)
	}
	ctx := context.Background()
	b, err := BackendFromEnv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != "in-process" {
		t.Errorf("Kind = %q, want in-process", b.Kind)
	}
	if err := b.Control.Healthy(ctx); err != nil {
		t.Errorf("the started backend is not healthy: %v", err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Control.Healthy(ctx); err == nil {
		t.Error("the backend still answers after Close")
	}
}

// errorRecorder stands in for a *testing.T whose errors a test reads.
type errorRecorder struct {
	testing.TB
	errs []string
}

func (r *errorRecorder) Helper() {}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func it(containers []string, text string, labels ...string) types.SpecReport {
	return types.SpecReport{LeafNodeType: types.NodeTypeIt, ContainerHierarchyTexts: containers, LeafNodeText: text, LeafNodeLabels: labels}
}

// SpecIDs reports each way a suite can break the catalogue's promises, and
// the run order of the IDs, each once.
func TestSpecIDsFindsWhatBreaksTheCatalogue(t *testing.T) {
	suite := []string{"suite"}
	table := []string{"suite", "P3.2 no refresh on 403, 404, 429 or 500"}
	good := types.Report{SpecReports: types.SpecReports{
		it(suite, "P2.1 page request refreshes once and retries", "P2", "MUST"),
		it(table, "P3.2 resource answers 403", "P3", "MUST"),
		it(table, "P3.2 resource answers 404", "P3", "MUST"),
		it([]string{"elsewhere"}, "not ours"),
	}}
	r := &errorRecorder{}
	if order := SpecIDs(r, good, "suite", "P"); !slices.Equal(order, []string{"P2.1", "P3.2"}) || len(r.errs) > 0 {
		t.Errorf("a sound suite: order %v, errors %q", order, r.errs)
	}
	for name, spec := range map[string]types.SpecReport{
		"no ID":              it(suite, "page request refreshes", "P2", "MUST"),
		"another suite's ID": it(suite, "B1.1 login returns the documented envelope", "B1", "MUST"),
		"missing labels":     it(suite, "P2.2 api request refreshes once and retries", "P2"),
		"entry of another":   it(table, "P3.1 resource answers 401", "P3", "MUST"),
		"claimed twice":      it(suite, "P2.1 the same scenario again", "P2", "MUST"),
	} {
		bad := good
		bad.SpecReports = append(slices.Clone(good.SpecReports), spec)
		r := &errorRecorder{}
		if SpecIDs(r, bad, "suite", "P"); len(r.errs) == 0 {
			t.Errorf("%s: no error", name)
		}
	}
	if got := CatalogueOrder("W", "W1.1"); !slices.Equal(got, []string{"W1.2", "W1.3", "W1.4", "W1.5", "W1.1"}) {
		t.Errorf("CatalogueOrder(W, W1.1) = %v", got)
	}
}

// Every mapping the suite tests run in is one the fake backend serves, and
// they differ where a proxy could hard-code the contract: the routes, the
// token paths and the dialect.
func TestNamedMappingsAreServedAndDiffer(t *testing.T) {
	seen := map[string]string{}
	for _, name := range DialectNames {
		m, err := Mapping(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := fakebackend.CheckMapping(m); err != nil {
			t.Errorf("%s: the fake backend cannot serve it: %v", name, err)
		}
		key := m.Refresh.Path + " " + m.Paths.AccessToken + " " + string(m.Dialect)
		if other, dup := seen[key]; dup {
			t.Errorf("%s and %s share the refresh route, token path and dialect %q", name, other, key)
		}
		seen[key] = name
	}
	t.Setenv(EnvDialect, "soap")
	if _, _, err := DialectFromEnv(); err == nil || !strings.Contains(err.Error(), EnvDialect) {
		t.Errorf("an unknown dialect: %v, want an error naming %s", err, EnvDialect)
	}
}
