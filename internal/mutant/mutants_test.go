package mutant

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/profile"
)

// load reads the module's mutants.
func load(t *testing.T) (string, []*Mutant) {
	t.Helper()
	root, ms, err := FromModule(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return root, ms
}

// Every patch names a scenario of the catalogue, of a suite that runs
// against the reference (P or W), and the folder holds nothing Go would
// build.
func TestHeadersNameCatalogueScenarios(t *testing.T) {
	root, ms := load(t)
	for _, m := range ms {
		s, ok := catalogue.Lookup(m.Scenario)
		switch {
		case !ok:
			t.Errorf("%s: Scenario %s is not in the catalogue", m.Name, m.Scenario)
		case s.Suite() != "P" && s.Suite() != "W":
			t.Errorf("%s: Scenario %s is of suite %s, which does not run against the reference", m.Name, m.Scenario, s.Suite())
		}
	}
	if gos, _ := filepath.Glob(filepath.Join(root, filepath.FromSlash(Dir), "*.go")); len(gos) > 0 {
		t.Errorf("%s holds Go files %v: it is patches only", Dir, gos)
	}
	if len(ForSuite(ms, "P"))+len(ForSuite(ms, "W")) != len(ms) {
		t.Errorf("ForSuite(P) and ForSuite(W) do not cover the %d mutants", len(ms))
	}
}

// Every patch applies cleanly to the current reference, changes it, and
// the result type-checks. (Building each into a binary is the mutation tests'
// work, which run them; here a compile is the quick proof.)
func TestPatchesApplyAndTypeCheck(t *testing.T) {
	root, ms := load(t)
	vs, err := LoadVariants(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range append(ms, vs...) {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			files, err := m.Patch.Apply(root)
			if err != nil {
				t.Fatal(err)
			}
			for name, content := range files {
				orig, _ := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
				if bytes.Equal(orig, content) {
					t.Errorf("%s leaves %s as it is", m.Name, name)
				}
			}
			if err := TypeCheck(t.Context(), root, m); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Build leaves the tree as it was, shares a build between callers within
// the process, and builds again when the binary is gone.
func TestBuildIsCachedByContent(t *testing.T) {
	root, ms := load(t)
	m, err := Find(ms, "no-retry")
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, root, m)
	first, second := t.TempDir(), t.TempDir()
	a, err := Build(t.Context(), root, ReferenceCommand, m, first)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(t.Context(), root, ReferenceCommand, m, second)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("the second Build of %s built again (%s, then %s)", m.Name, a, b)
	}
	if err := os.Remove(a); err != nil {
		t.Fatal(err)
	}
	c, err := Build(t.Context(), root, ReferenceCommand, m, second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c); err != nil || filepath.Dir(c) != second {
		t.Errorf("after its binary was removed, Build gave %s (%v), want a new one in %s", c, err, second)
	}
	if after := snapshot(t, root, m); !bytes.Equal(before, after) {
		t.Errorf("Build modified the tree's files")
	}
	if _, err := Find(ms, "no-such-mutant"); err == nil {
		t.Errorf("Find accepted an unknown name")
	}
}

// snapshot is the content of the files m patches.
func snapshot(t *testing.T, root string, m *Mutant) []byte {
	t.Helper()
	var all []byte
	for _, f := range m.Patch.Files {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.Path())))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func TestPrebuildRunsAhead(t *testing.T) {
	root, ms := load(t)
	ms = ms[:3]
	bs := Prebuild(t.Context(), root, ReferenceCommand, ms, t.TempDir(), 2)
	for _, m := range ms {
		bin, err := bs.Wait(t.Context(), m)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(bin) != m.Name {
			t.Errorf("%s built as %s", m.Name, bin)
		}
	}
	if _, err := bs.Wait(t.Context(), &Mutant{Name: "other"}); err == nil {
		t.Errorf("Wait for a mutant never prebuilt succeeded")
	}
}

// Every correct variant names a P scenario of the catalogue (the variants'
// test runs the proxy suite) and, when it has one, a profile that loads;
// its folder holds nothing Go would build.
func TestVariantHeadersNameCatalogueScenarios(t *testing.T) {
	root, _ := load(t)
	vs, err := LoadVariants(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		for _, id := range v.Scenarios() {
			if s, ok := catalogue.Lookup(id); !ok || s.Suite() != "P" {
				t.Errorf("%s: Scenario %s is not a P scenario of the catalogue", v.Name, id)
			}
		}
		if !v.Variant {
			t.Errorf("%s: read as a mutant, not a variant", v.Name)
		}
		if v.Profile != "" {
			if _, err := profile.Load(v.ProfilePath(root)); err != nil {
				t.Errorf("%s: its Profile: %v", v.Name, err)
			}
		}
	}
	if gos, _ := filepath.Glob(filepath.Join(root, filepath.FromSlash(VariantsDir), "*.go")); len(gos) > 0 {
		t.Errorf("%s holds Go files %v: it is patches only", VariantsDir, gos)
	}
}

// A patch that no longer makes sense of the reference is refused with the
// compiler's complaint, naming the file; TypeCheck is not a formality.
func TestTypeCheckRefusesABrokenPatch(t *testing.T) {
	root, _ := load(t)
	patch, _, err := ParsePatch("broken.patch", []byte("--- a/internal/reference/doc.go\n+++ b/internal/reference/doc.go\n@@ -1,1 +1,2 @@\n package reference\n+var _ int = \"not an int\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = TypeCheck(t.Context(), root, &Mutant{Name: "broken", Patch: patch})
	if err == nil || !strings.Contains(err.Error(), "internal/reference/doc.go") || !strings.Contains(err.Error(), "cannot use") {
		t.Errorf("TypeCheck of a patch that breaks the build = %v, want the type error in internal/reference/doc.go", err)
	}
}

// A variant may name a profile beside it; a mutant may not, and the name is
// a file's, not a path.
func TestProfileHeaderIsAVariantsAlone(t *testing.T) {
	const diff = "--- a/reference/x.go\n+++ b/reference/x.go\n@@ -1 +1 @@\n-a\n+b\n"
	v, err := Parse("v.patch", []byte("Variant: v\nScenario: P1.1\nChange: c\nWhy: w\nProfile: v.yaml\n\n"+diff))
	if err != nil || v.Profile != "v.yaml" || v.ProfilePath("/m") != filepath.Join("/m", filepath.FromSlash(VariantsDir), "v.yaml") {
		t.Fatalf("a variant with a profile: %+v, %v", v, err)
	}
	for header, want := range map[string]string{
		"Mutant: v\nScenario: P1.1\nDefect: d\nWhy: w\nProfile: v.yaml\n":     `"Profile:" does not belong`,
		"Variant: v\nScenario: P1.1\nChange: c\nWhy: w\nProfile: ../v.yaml\n": "is not the name of a .yaml file",
	} {
		if _, err := Parse("v.patch", []byte(header+"\n"+diff)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error with %s", header, err, want)
		}
	}
}
