package suitetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshspec/refreshspec/catalogue"
)

// CheckSpecIDs walks the specs registered in this process without running
// them (Ginkgo's PreviewSpecs) and checks the catalogue's promises on the
// suite whose container is named container (see SpecIDs), and that they run
// in catalogue order, with the IDs of last moved to the end.
//
// Call it from a test binary that does not run the suite: after
// PreviewSpecs, Ginkgo (v2.34) leaves a top-level BeforeEach out of a
// RunSpecs that follows in the same process.
func CheckSpecIDs(t testing.TB, container, letter string, last ...string) {
	t.Helper()
	order := SpecIDs(t, ginkgo.PreviewSpecs(container+": IDs"), container, letter)
	if want := CatalogueOrder(letter, last...); !slices.Equal(order, want) {
		t.Errorf("the %s specs run in the order\n  %v\nwant the catalogue's (with %v last):\n  %v", letter, order, last, want)
	}
}

// SpecIDs checks the catalogue's promises on the specs of one suite in a
// Ginkgo report (PreviewSpecs gives one without running anything): every
// spec under the container named container is one scenario of the suite
// letter (P, W or B), named by its ID; a table's entries all begin with the
// table's ID; no scenario is claimed by two specs or tables; and every spec
// carries its group and level labels. It reports what is wrong through t
// and returns the scenario IDs in the order the specs run, each once.
func SpecIDs(t testing.TB, report types.Report, container, letter string) []string {
	t.Helper()
	owner := map[string]string{} // ID -> the spec or table that holds it
	var order []string
	for _, r := range report.SpecReports {
		if r.LeafNodeType != types.NodeTypeIt || !slices.Contains(r.ContainerHierarchyTexts, container) {
			continue
		}
		id := ScenarioID(r)
		s, ok := catalogue.Lookup(id)
		if !ok || s.Suite() != letter {
			t.Errorf("spec %q does not begin with a %s scenario ID", r.FullText(), letter)
			continue
		}
		// A table entry belongs to its table, whose text begins with the same ID.
		holder := r.LeafNodeText
		if texts := r.ContainerHierarchyTexts; texts[len(texts)-1] != container {
			table := texts[len(texts)-1]
			if !strings.HasPrefix(table, id+" ") {
				t.Errorf("table entry %q sits in %q, whose name does not begin with %s", r.LeafNodeText, table, id)
			}
			holder = table
		}
		if prev, dup := owner[id]; dup && prev != holder {
			t.Errorf("scenario %s is claimed by two specs: %q and %q", id, prev, holder)
		}
		owner[id] = holder
		if len(order) == 0 || order[len(order)-1] != id {
			order = append(order, id)
		}
		labels := r.Labels()
		if !slices.Contains(labels, s.Group()) || !slices.Contains(labels, string(s.Level)) {
			t.Errorf("spec %q has labels %v; want %s and %s", r.LeafNodeText, labels, s.Group(), s.Level)
		}
	}
	return order
}

// CatalogueOrder is the IDs of a suite's scenarios in catalogue order, with
// last moved to the end (the proxy suite runs P8.4 last).
func CatalogueOrder(letter string, last ...string) []string {
	var out []string
	for _, s := range catalogue.Suite(letter) {
		if !slices.Contains(last, s.ID) {
			out = append(out, s.ID)
		}
	}
	return append(out, last...)
}
