package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/refreshspec/refreshspec/cmd/refreshspec/internal/cli"
)

// commonSection is the section of docs/cli.md that documents the flags
// proxy and backend share.
const commonSection = "Flags of both suites"

// documentedCommands say where docs/cli.md documents each command's flags:
// in a table of its own section, and for the two suites in the common one.
var documentedCommands = []struct {
	args     []string // the command line whose -h lists the flags
	sections []string // headings of docs/cli.md whose tables may list them
}{
	{[]string{"proxy"}, []string{"Flags of `refreshspec proxy`", commonSection}},
	{[]string{"backend"}, []string{"`refreshspec backend`", commonSection}},
	{[]string{"fakebackend"}, []string{"`refreshspec fakebackend`"}},
	// The fake backend's own command line, which cmd/fakebackend runs too.
	{[]string{"fakebackend", "serve"}, []string{"`refreshspec fakebackend serve` and `cmd/fakebackend`"}},
	{[]string{"list"}, []string{"`refreshspec list`"}},
}

// TestCLIDocsListEveryFlag fails when a command has a flag that docs/cli.md
// does not list in that command's table, or when a table lists a flag the
// command no longer has: users read the tables, not -h, to learn what a
// flag overrides and what its default is. The flags are the flag sets
// themselves, as their -h prints them.
func TestCLIDocsListEveryFlag(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	tables := tableFlags(string(raw))
	// commonUsers are the flags the common table may list: those of both suites.
	var commonUsers [][]string
	for _, c := range documentedCommands {
		flags := commandFlags(t, c.args...)
		if len(flags) == 0 {
			t.Fatalf("refreshspec %s -h listed no flags", strings.Join(c.args, " "))
		}
		documented := map[string]bool{}
		for _, section := range c.sections {
			if _, ok := tables[section]; !ok {
				t.Fatalf("docs/cli.md has no section %q", section)
			}
			for _, f := range tables[section] {
				documented[f] = true
			}
		}
		for _, f := range flags {
			if !documented[f] {
				t.Errorf("refreshspec %s has the flag %s, which no table of docs/cli.md's %q lists", strings.Join(c.args, " "), dashed(f), c.sections)
			}
		}
		// The command's own table lists only flags it has.
		for _, f := range tables[c.sections[0]] {
			if !slices.Contains(flags, f) {
				t.Errorf("docs/cli.md's %q lists %s, which refreshspec %s does not have", c.sections[0], dashed(f), strings.Join(c.args, " "))
			}
		}
		if slices.Contains(c.sections, commonSection) {
			commonUsers = append(commonUsers, flags)
		}
	}
	for _, f := range tables[commonSection] {
		for _, flags := range commonUsers {
			if !slices.Contains(flags, f) {
				t.Errorf("docs/cli.md's %q lists %s, which is not a flag of both suites", commonSection, dashed(f))
			}
		}
	}
}

// TestTableFlags: the parser of the docs' tables takes every flag of a
// row's first cell, by section, and nothing of prose or of other columns.
func TestTableFlags(t *testing.T) {
	doc := "# T\n\n## `a`\n\nprose with `--not-a-row`\n\n| flag | meaning |\n|---|---|\n| `--one X`, `--two` | see `--three` |\n| `-v` | verbose |\n\n" +
		"### Sub\n\n| `--four` | x |\n\n## Other\n\n| `--five` | y |\n"
	got := tableFlags(doc)
	want := map[string][]string{"`a`": {"one", "two", "v"}, "Sub": {"four"}, "Other": {"five"}}
	for section, flags := range want {
		if !slices.Equal(got[section], flags) {
			t.Errorf("section %s: %v, want %v", section, got[section], flags)
		}
	}
	if len(got["T"]) != 0 {
		t.Errorf("section T: %v, want none", got["T"])
	}
}

// commandFlags are the names of the flags of `refreshspec args...`, read
// from what -h prints of its flag set (flag.PrintDefaults: "  -name ...").
func commandFlags(t *testing.T, args ...string) []string {
	t.Helper()
	var out bytes.Buffer
	code := cli.Main(context.Background(), append(slices.Clone(args), "-h"), func(string) string { return "" }, &out, &out)
	if code != cli.ExitConformant {
		t.Fatalf("refreshspec %s -h: exit %d\n%s", strings.Join(args, " "), code, out.String())
	}
	var names []string
	for _, m := range defaultsLine.FindAllStringSubmatch(out.String(), -1) {
		names = append(names, m[1])
	}
	return names
}

var (
	defaultsLine = regexp.MustCompile(`(?m)^  -([A-Za-z0-9][A-Za-z0-9-]*)`)
	heading      = regexp.MustCompile(`^#+ (.+)$`)
	// flagSpan is a code span that begins with a flag: `--target-cmd CMD`, `-v`.
	flagSpan = regexp.MustCompile("`--?([A-Za-z0-9][A-Za-z0-9-]*)[^`]*`")
)

// tableFlags maps each heading of a Markdown document to the flags named in
// the first cell of its table rows, up to the next heading of any level.
func tableFlags(doc string) map[string][]string {
	out := map[string][]string{}
	section := ""
	for _, line := range strings.Split(doc, "\n") {
		if m := heading.FindStringSubmatch(line); m != nil {
			section = strings.TrimSpace(m[1])
			continue
		}
		cells := strings.Split(line, "|")
		if !strings.HasPrefix(line, "|") || len(cells) < 3 {
			continue
		}
		for _, m := range flagSpan.FindAllStringSubmatch(cells[1], -1) {
			out[section] = append(out[section], m[1])
		}
	}
	return out
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}
