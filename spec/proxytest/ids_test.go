package proxytest

import (
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshspec/refreshspec/spec"
	"github.com/refreshspec/refreshspec/spec/catalogue"
)

// TestProxySpecIDs walks the registered tree without running it and checks
// the catalogue's promises: every P scenario is exactly one spec or one table
// whose entries all carry its ID, every spec name starts with a known ID and
// carries its group and level labels, the order is the catalogue's, and P8.4
// runs last.
func TestProxySpecIDs(t *testing.T) {
	report := PreviewSpecs("refreshspec proxy suite: IDs")
	owner := map[string]string{} // ID -> the spec or table that holds it
	var order []string
	for _, r := range report.SpecReports {
		if r.LeafNodeType != types.NodeTypeIt {
			continue
		}
		if len(r.ContainerHierarchyTexts) == 0 || r.ContainerHierarchyTexts[0] != spec.ProxySuiteName {
			continue
		}
		id := strings.SplitN(r.LeafNodeText, " ", 2)[0]
		s, ok := catalogue.Lookup(id)
		if !ok || s.Suite() != "P" {
			t.Errorf("spec %q does not begin with a P scenario ID", r.FullText())
			continue
		}
		// A table entry belongs to its table, whose text begins with the same ID.
		holder := r.LeafNodeText
		if n := len(r.ContainerHierarchyTexts); n > 1 {
			table := r.ContainerHierarchyTexts[n-1]
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
	var want []string
	for _, s := range catalogue.Suite("P") {
		if s.ID != "P8.4" {
			want = append(want, s.ID)
		}
	}
	want = append(want, "P8.4")
	if !slices.Equal(order, want) {
		t.Errorf("the P specs run in the order\n  %v\nwant the catalogue's, with P8.4 last:\n  %v", order, want)
	}
}
