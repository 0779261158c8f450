package suitetest

import (
	"regexp"
	"strings"
	"testing"
)

// The focus picks the spec of one scenario out of the texts Ginkgo matches
// it against (the suite's description, then the containers and the spec).
func TestFocusScenarioPicksOneScenario(t *testing.T) {
	re := regexp.MustCompile(FocusScenario("P2.1"))
	for text, want := range map[string]bool{
		"refreshspec proxy suite (P) refreshspec proxy suite P2.1 page request refreshes once": true,
		"P2.1 page request refreshes once":               true,
		"refreshspec proxy suite P2.10 a later scenario": false,
		"refreshspec proxy suite P2.11 another":          false,
		"refreshspec proxy suite XP2.1 not an ID":        false,
		"refreshspec proxy suite P2x1 a dot is a dot":    false,
	} {
		if re.MatchString(text) != want {
			t.Errorf("FocusScenario(P2.1) on %q: %v, want %v", text, !want, want)
		}
	}
}

func TestReferenceBinaryFromTheEnvironment(t *testing.T) {
	t.Setenv(EnvReferenceBin, "/some/built/reference")
	t.Setenv(EnvMutant, "no-retry")
	if bin, err := ReferenceBinary(t.Context(), t.TempDir()); err != nil || bin != "/some/built/reference" {
		t.Errorf("with %s set: %q, %v", EnvReferenceBin, bin, err)
	}

	t.Setenv(EnvReferenceBin, "")
	t.Setenv(EnvMutant, "no-such-mutant")
	_, err := ReferenceBinary(t.Context(), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), EnvMutant) || !strings.Contains(err.Error(), "no-retry") {
		t.Errorf("an unknown mutant: %v; want an error naming %s and the mutants there are", err, EnvMutant)
	}
}
