package catalogue

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDocsAreGenerated proves docs/scenarios.md is exactly what Markdown
// renders, so `make docs` on a fresh checkout changes nothing and the
// published catalogue is the one the specs run.
func TestDocsAreGenerated(t *testing.T) {
	raw, err := os.ReadFile("../" + DocsPath)
	if err != nil {
		t.Fatalf("%s: %v (regenerate it with `make docs`)", DocsPath, err)
	}
	got, want := strings.Split(string(raw), "\n"), strings.Split(Markdown(), "\n")
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Fatalf("%s line %d is not generated from the catalogue; regenerate it with `make docs`\nfile:      %q\ncatalogue: %q", DocsPath, i+1, g, w)
		}
	}
}

// TestDocsListEveryScenario guards the renderer: a scenario or a group left
// out of docs/scenarios.md would pass TestDocsAreGenerated unnoticed.
func TestDocsListEveryScenario(t *testing.T) {
	md := Markdown()
	for _, s := range scenarios {
		line := "- **" + s.ID + "** " + string(s.Level) + " *" + s.Title + "*: " + s.Requirement + "\n"
		if strings.Count(md, line) != 1 {
			t.Errorf("%s: want its requirement listed once in full, as %q", s.ID, line)
		}
	}
	for _, g := range groups {
		if !strings.Contains(md, "\n### "+g.ID+" "+g.Title) || !strings.Contains(md, "\n"+g.Intro+"\n") {
			t.Errorf("group %s: heading or intro missing", g.ID)
		}
	}
}

// TestDocsNameNothingOutside keeps the generated docs self-contained: a reader
// who cloned the repository has no file beside it and no issue tracker.
// (TestDocsLinksResolve checks the links themselves.)
func TestDocsNameNothingOutside(t *testing.T) {
	outside := regexp.MustCompile(`\.\./|(?i)issue #?[0-9]`)
	if m := outside.FindString(Markdown()); m != "" {
		t.Errorf("docs/scenarios.md names %q, which a clone of the repository does not have", m)
	}
}

// TestDocsLinksResolve: every page docs/scenarios.md links to is in docs/.
func TestDocsLinksResolve(t *testing.T) {
	links := regexp.MustCompile(`\]\(([^)#]+)[^)]*\)`).FindAllStringSubmatch(Markdown(), -1)
	if len(links) == 0 {
		t.Fatal("found no links; the pattern no longer matches Markdown's")
	}
	for _, l := range links {
		if _, err := os.Stat("../docs/" + l[1]); err != nil {
			t.Errorf("docs/scenarios.md links to %s: %v", l[1], err)
		}
	}
}

// TestGroups checks that every scenario has a described group, that groups
// come in catalogue order with no empty one, and that IDs inside a group
// ascend, so the catalogue reads in the order users see it in reports.
func TestGroups(t *testing.T) {
	known := make(map[string]int, len(groups))
	for i, g := range groups {
		if _, dup := known[g.ID]; dup {
			t.Errorf("group %s described twice", g.ID)
		}
		known[g.ID] = i
		if g.Title == "" || g.Intro == "" {
			t.Errorf("group %s: want a title and a one-line intro", g.ID)
		}
		if strings.Contains(g.Intro, "\n") {
			t.Errorf("group %s: intro spans several lines", g.ID)
		}
	}
	used := make(map[string]bool)
	last, lastNum := -1, 0
	for _, s := range scenarios {
		i, ok := known[s.Group()]
		if !ok {
			t.Errorf("%s: group %s is not described in groups", s.ID, s.Group())
			continue
		}
		num, err := strconv.Atoi(s.ID[strings.IndexByte(s.ID, '.')+1:])
		if err != nil {
			t.Errorf("%s: not of the form P2.1", s.ID)
		}
		switch {
		case i < last:
			t.Errorf("%s: group %s comes after group %s", s.ID, s.Group(), groups[last].ID)
		case i == last && num <= lastNum:
			t.Errorf("%s: IDs in a group must ascend", s.ID)
		}
		last, lastNum = i, num
		used[s.Group()] = true
	}
	for _, g := range groups {
		if !used[g.ID] {
			t.Errorf("group %s has no scenario", g.ID)
		}
	}
}

// TestRequirements checks what the docs and failure messages rely on: every
// requirement is one line of balanced Markdown code spans, and ends a sentence.
func TestRequirements(t *testing.T) {
	for _, s := range scenarios {
		r := s.Requirement
		switch {
		case r == "" || s.Title == "":
			t.Errorf("%s: empty title or requirement", s.ID)
		case strings.Contains(r, "\n"):
			t.Errorf("%s: requirement spans several lines", s.ID)
		case strings.Count(r, "`")%2 != 0:
			t.Errorf("%s: unbalanced code span in %q", s.ID, r)
		case !strings.HasSuffix(r, ".") && !strings.HasSuffix(r, ".)"):
			t.Errorf("%s: requirement does not end a sentence: %q", s.ID, r)
		}
	}
}

// TestRevisionsNameKnownIDs keeps the revision notes honest: every ID or
// group they name exists.
func TestRevisionsNameKnownIDs(t *testing.T) {
	groupIDs := make(map[string]bool)
	for _, g := range groups {
		groupIDs[g.ID] = true
	}
	for _, r := range revisions {
		var ids []string
		for _, c := range r.Changes {
			ids = append(ids, c.IDs...)
		}
		for _, id := range append(ids, r.Added...) {
			if _, ok := Lookup(id); !ok && !groupIDs[id] {
				t.Errorf("revision %s names %s, which is neither a scenario nor a group", r.Date, id)
			}
		}
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
