package mutant

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tree writes files (slash paths relative to the root) into a new directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// fetchGo is a small file to patch; fetchPatch changes its lines 3 and 9.
var fetchGo = lines("package p", "", "func a() int {", "\treturn 1", "}", "", "// b is two.", "func b() int {", "\treturn 2", "}")

const fetchPatch = `Mutant: two-changes
Scenario: P1.1

--- a/p/fetch.go
+++ b/p/fetch.go
@@ -2,3 +2,3 @@
 
-func a() int {
+func a() int { // changed
 	return 1
@@ -8,3 +8,3 @@
 func b() int {
-	return 2
+	return 3
 }
`

var fetchGoPatched = lines("package p", "", "func a() int { // changed", "\treturn 1", "}", "", "// b is two.", "func b() int {", "\treturn 3", "}")

func mustParse(t *testing.T, patch string) *Patch {
	t.Helper()
	p, _, err := ParsePatch("test.patch", []byte(patch))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApplyAtTheLinesNamed(t *testing.T) {
	root := tree(t, map[string]string{"p/fetch.go": fetchGo})
	got, err := mustParse(t, fetchPatch).Apply(root)
	if err != nil {
		t.Fatal(err)
	}
	if string(got["p/fetch.go"]) != fetchGoPatched {
		t.Errorf("patched:\n%s\nwant:\n%s", got["p/fetch.go"], fetchGoPatched)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "p", "fetch.go")); string(b) != fetchGo {
		t.Errorf("Apply modified the tree")
	}
}

// A change elsewhere in the file (lines added above a hunk, and between
// two) moves the hunks, which are found by their lines.
func TestApplyFindsOffsetHunks(t *testing.T) {
	moved := strings.Replace(fetchGo, "package p\n", "package p\n\n// Added above.\n// And more.\n", 1)
	moved = strings.Replace(moved, "// b is two.\n", "// b is two.\n// (and this comment grew)\n", 1)
	root := tree(t, map[string]string{"p/fetch.go": moved})
	got, err := mustParse(t, fetchPatch).Apply(root)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(fetchGoPatched, "package p\n", "package p\n\n// Added above.\n// And more.\n", 1)
	want = strings.Replace(want, "// b is two.\n", "// b is two.\n// (and this comment grew)\n", 1)
	if string(got["p/fetch.go"]) != want {
		t.Errorf("patched:\n%s\nwant:\n%s", got["p/fetch.go"], want)
	}

	// Lines removed above a hunk move it up.
	onlyB := "--- a/p/fetch.go\n+++ b/p/fetch.go\n" + fetchPatch[strings.Index(fetchPatch, "@@ -8,3"):]
	shorter := strings.Replace(fetchGo, "func a() int {\n\treturn 1\n}\n\n", "", 1)
	root = tree(t, map[string]string{"p/fetch.go": shorter})
	if got, err = mustParse(t, onlyB).Apply(root); err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(shorter, "\treturn 2", "\treturn 3", 1); string(got["p/fetch.go"]) != want {
		t.Errorf("patched:\n%s\nwant:\n%s", got["p/fetch.go"], want)
	}
}

// A hunk whose lines are no longer in the file is an error that names the
// patch, the file and the hunk.
func TestApplyRefusesAHunkThatNoLongerMatches(t *testing.T) {
	changed := strings.Replace(fetchGo, "\treturn 2", "\treturn 2 // now commented", 1)
	root := tree(t, map[string]string{"p/fetch.go": changed})
	_, err := mustParse(t, fetchPatch).Apply(root)
	if err == nil {
		t.Fatal("a hunk whose lines changed applied")
	}
	for _, want := range []string{"test.patch", "p/fetch.go", "hunk 2", "@@ -8,3 +8,3 @@", `"func b() int {"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// Hunks apply in order and never overlap: a hunk that matches only above
// the previous one's end does not apply.
func TestApplyKeepsHunksInOrder(t *testing.T) {
	root := tree(t, map[string]string{"p/fetch.go": fetchGo})
	swapped := `--- a/p/fetch.go
+++ b/p/fetch.go
@@ -8,3 +8,3 @@
 func b() int {
-	return 2
+	return 3
 }
@@ -2,3 +2,3 @@
 
-func a() int {
+func a() int { // changed
 	return 1
`
	if _, err := mustParse(t, swapped).Apply(root); err == nil || !strings.Contains(err.Error(), "hunk 2") {
		t.Errorf("hunks out of order: %v", err)
	}
}

func TestApplySeveralFilesInOnePatch(t *testing.T) {
	root := tree(t, map[string]string{
		"p/fetch.go": fetchGo,
		"p/gone.go":  lines("package p", "", "var gone = 1"),
		"q/keep.go":  lines("package q", "", "const a = 1"),
	})
	patch := fetchPatch + `--- a/q/keep.go
+++ b/q/keep.go
@@ -1,3 +1,3 @@
 package q
 
-const a = 1
+const a = 2
--- /dev/null
+++ b/p/new.go
@@ -0,0 +1,3 @@
+package p
+
+var added = true
--- a/p/gone.go
+++ /dev/null
@@ -1,3 +0,0 @@
-package p
-
-var gone = 1
`
	got, err := mustParse(t, patch).Apply(root)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"p/fetch.go": fetchGoPatched,
		"q/keep.go":  lines("package q", "", "const a = 2"),
		"p/new.go":   lines("package p", "", "var added = true"),
	}
	for name, content := range want {
		if string(got[name]) != content {
			t.Errorf("%s:\n%s\nwant:\n%s", name, got[name], content)
		}
	}
	if c, ok := got["p/gone.go"]; !ok || c != nil {
		t.Errorf("p/gone.go: %q, %v; want deleted (nil)", c, ok)
	}
	if len(got) != 4 {
		t.Errorf("%d files, want 4", len(got))
	}

	// Creating a file that exists is an error, not an overwrite.
	root = tree(t, map[string]string{"p/fetch.go": fetchGo, "p/gone.go": "x\n", "q/keep.go": lines("package q", "", "const a = 1"), "p/new.go": "package p\n"})
	if _, err := mustParse(t, patch).Apply(root); err == nil || !strings.Contains(err.Error(), "p/new.go") {
		t.Errorf("creating an existing file: %v", err)
	}
}

func TestApplyKeepsAMissingFinalNewline(t *testing.T) {
	root := tree(t, map[string]string{"a.txt": "one\ntwo"})
	patch := `--- a/a.txt
+++ b/a.txt
@@ -1,2 +1,2 @@
 one
-two
\ No newline at end of file
+three
\ No newline at end of file
`
	got, err := mustParse(t, patch).Apply(root)
	if err != nil {
		t.Fatal(err)
	}
	if string(got["a.txt"]) != "one\nthree" {
		t.Errorf("got %q", got["a.txt"])
	}
}

// An editor that strips trailing spaces turns a blank context line (" ")
// into an empty one; that still counts as context.
func TestParseTakesAnEmptyLineAsBlankContext(t *testing.T) {
	root := tree(t, map[string]string{"p/fetch.go": fetchGo})
	stripped := strings.Replace(fetchPatch, "@@ -2,3 +2,3 @@\n \n", "@@ -2,3 +2,3 @@\n\n", 1)
	got, err := mustParse(t, stripped).Apply(root)
	if err != nil || string(got["p/fetch.go"]) != fetchGoPatched {
		t.Errorf("got %q, %v", got["p/fetch.go"], err)
	}
}

func TestParsePatchErrors(t *testing.T) {
	for _, tc := range []struct{ name, patch, want string }{
		{"not a diff", "Mutant: x\n", "not a unified diff"},
		{"short hunk", "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n", "the patch ends after 2 of 3 old"},
		{"long hunk", "--- a/f\n+++ b/f\n@@ -1,1 +1,1 @@\n-a\n+b\n+c\n", `"+c" is outside any hunk`},
		{"no +++", "--- a/f\n@@ -1 +1 @@\n-a\n+b\n", `without a "+++ " line`},
		{"escaping path", "--- a/../f\n+++ b/../f\n@@ -1 +1 @@\n-a\n+b\n", "clean relative path"},
		{"rename", "--- a/f\n+++ b/g\n@@ -1 +1 @@\n-a\n+b\n", "renames are not supported"},
		{"no hunk", "--- a/f\n+++ b/f\n", "f has no hunk"},
		{"bad header", "--- a/f\n+++ b/f\n@@ -x +1 @@\n", "not a hunk header"},
	} {
		_, _, err := ParsePatch("bad.patch", []byte(tc.patch))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.patch") {
			t.Errorf("%s: error %v, want one naming bad.patch and saying %q", tc.name, err, tc.want)
		}
	}
}

func TestParseReadsTheHeader(t *testing.T) {
	patch := "Mutant: two-changes\nScenario: P1.10\nDefect: a and b change\nWhy: because a test\n  needs two hunks.\n\n" + fetchPatch[strings.Index(fetchPatch, "---"):]
	m, err := Parse("dir/two-changes.patch", []byte(patch))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "two-changes" || m.Scenario != "P1.10" || m.Defect != "a and b change" || m.Why != "because a test needs two hunks." {
		t.Errorf("got %+v", m)
	}
	if len(m.Patch.Files) != 1 || len(m.Patch.Files[0].Hunks) != 2 {
		t.Errorf("patch %+v", m.Patch)
	}
	if m.Suite != "P" {
		t.Errorf("Suite = %q, want the scenario's own, P", m.Suite)
	}
	// A P8.4 leak that only the page's own requests show is caught by the
	// browser suite's run.
	other, err := Parse("dir/two-changes.patch", []byte(strings.Replace(patch, "Why:", "Suite: W\nWhy:", 1)))
	if err != nil || other.Suite != "W" || len(ForSuite([]*Mutant{m, other}, "W")) != 1 {
		t.Errorf("Suite: W gave %+v, %v", other, err)
	}

	for _, tc := range []struct{ name, file, header, want string }{
		{"name", "other.patch", "Mutant: two-changes\nScenario: P1.1\nDefect: d\nWhy: w\n", "the file is other.patch"},
		{"missing key", "two-changes.patch", "Mutant: two-changes\nScenario: P1.1\nDefect: d\n", `no "Why:" line`},
		{"unknown key", "two-changes.patch", "Mutant: two-changes\nScenaro: P1.1\n", `unknown header key "Scenaro"`},
		{"bad ID", "two-changes.patch", "Mutant: two-changes\nScenario: 2.1\nDefect: d\nWhy: w\n", `"2.1" is not a scenario ID`},
		{"twice", "two-changes.patch", "Mutant: two-changes\nMutant: two-changes\n", "given twice"},
		{"stray", "two-changes.patch", "  continues\nMutant: two-changes\n", "continues no header line"},
		{"suite", "two-changes.patch", "Mutant: two-changes\nScenario: P1.1\nSuite: B\nDefect: d\nWhy: w\n", `Suite "B" is not P or W`},
		{"mixed", "two-changes.patch", "Variant: two-changes\nScenario: P1.1\nDefect: d\nWhy: w\n", `"Defect:" does not belong in a header that names a variant`},
		{"variant name", "other.patch", "Variant: two-changes\nScenario: P1.1\nChange: c\nWhy: w\n", "names the variant \"two-changes\""},
	} {
		_, err := Parse(tc.file, []byte(tc.header+"\n"+fetchPatch[strings.Index(fetchPatch, "---"):]))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.file) {
			t.Errorf("%s: error %v, want one naming %s and saying %q", tc.name, err, tc.file, tc.want)
		}
	}
}

// A correct variant's header says Variant, Scenario, Change and Why, and it
// is read as an equivalent mutant: Variant set, Change in Defect.
func TestParseReadsAVariantHeader(t *testing.T) {
	patch := "Variant: same-thing\nScenario: P6.2\nChange: answers 504\nWhy: gateways\n  do.\n\n" + fetchPatch[strings.Index(fetchPatch, "---"):]
	v, err := Parse("dir/same-thing.patch", []byte(patch))
	if err != nil {
		t.Fatal(err)
	}
	if !v.Variant || v.Name != "same-thing" || v.Scenario != "P6.2" || v.Defect != "answers 504" || v.Why != "gateways do." || v.Suite != "P" {
		t.Errorf("got %+v", v)
	}
}

func TestCompareIDs(t *testing.T) {
	ordered := []string{"P1.2", "P1.10", "P2.1", "P10.1", "W1.1"}
	for i := 1; i < len(ordered); i++ {
		if compareIDs(ordered[i-1], ordered[i]) >= 0 || compareIDs(ordered[i], ordered[i-1]) <= 0 {
			t.Errorf("%s should sort before %s", ordered[i-1], ordered[i])
		}
	}
}
