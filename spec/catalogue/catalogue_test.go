package catalogue

import (
	"os"
	"regexp"
	"testing"
)

// TestMatchesScenariosMD keeps the registry in step with the catalogue that
// ../shared/scenarios.md publishes: same IDs, same levels, same order.
func TestMatchesScenariosMD(t *testing.T) {
	raw, err := os.ReadFile("../../../shared/scenarios.md")
	if err != nil {
		t.Skipf("scenarios.md not beside the repo: %v", err)
	}
	re := regexp.MustCompile(`(?m)^- ([PWB]\d+\.\d+) (MUST|SHOULD|INFO): `)
	var want []string
	for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
		want = append(want, m[1]+" "+m[2])
	}
	var got []string
	for _, s := range All() {
		got = append(got, s.ID+" "+string(s.Level))
	}
	if len(want) == 0 {
		t.Fatal("found no scenario lines in scenarios.md")
	}
	if len(got) != len(want) {
		t.Fatalf("registry has %d scenarios, scenarios.md %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("scenario %d: registry %q, scenarios.md %q", i, got[i], want[i])
		}
	}
}

func TestDocsTableIsGenerated(t *testing.T) {
	raw, err := os.ReadFile("../../docs/scenarios.md")
	if err != nil {
		t.Fatalf("docs/scenarios.md: %v (regenerate with `go run ./cmd/refreshspec list --markdown`)", err)
	}
	if !regexp.MustCompile(regexp.QuoteMeta(Markdown())).Match(raw) {
		t.Fatal("docs/scenarios.md does not contain the registry's table; regenerate it with `make docs`")
	}
}

func TestMatch(t *testing.T) {
	s := MustLookup("P2.1")
	for _, p := range []string{"P2.1", "P2", "P", "MUST", "must"} {
		if !Match(s, []string{p}) {
			t.Errorf("%q should select P2.1", p)
		}
	}
	for _, p := range []string{"P2.2", "P1", "B", "SHOULD", "P2.1x"} {
		if Match(s, []string{p}) {
			t.Errorf("%q should not select P2.1", p)
		}
	}
	if err := CheckPatterns([]string{"P2.1", "Q9"}); err == nil {
		t.Error("CheckPatterns accepted Q9")
	}
}
