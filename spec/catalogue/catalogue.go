// Package catalogue is the registry of scenarios: every check the suites make,
// with the stable ID, level and requirement of ../shared/scenarios.md.
//
// The specs, `refreshspec list`, the reports and docs/scenarios.md all read
// this one registry, so the IDs users pin in CI cannot drift between them.
package catalogue

import (
	"fmt"
	"sort"
	"strings"
)

// Level is how a failed scenario counts, as in RFC 2119 and h2spec's --strict.
type Level string

// The three levels of scenarios.md.
const (
	Must   Level = "MUST"   // a failure fails the run
	Should Level = "SHOULD" // a failure fails the run only in strict mode
	Info   Level = "INFO"   // measured and reported, never fails
)

// FailsRun reports whether a failure at this level fails the run.
func (l Level) FailsRun(strict bool) bool {
	switch l {
	case Must:
		return true
	case Should:
		return strict
	default:
		return false
	}
}

// Scenario is one entry of the catalogue.
type Scenario struct {
	ID          string // "P2.1"
	Level       Level
	Title       string // short, for spec names and console lines
	Requirement string // the requirement as scenarios.md states it
}

// Group is the scenario's group: "P2" for "P2.1".
func (s Scenario) Group() string { return s.ID[:strings.IndexByte(s.ID, '.')] }

// Suite is the scenario's suite letter: "P" (proxy), "W" (browser) or "B" (backend).
func (s Scenario) Suite() string { return s.ID[:1] }

// Name is the spec name: the ID, then the title.
func (s Scenario) Name() string { return s.ID + " " + s.Title }

var byID = func() map[string]Scenario {
	m := make(map[string]Scenario, len(scenarios))
	for _, s := range scenarios {
		if _, dup := m[s.ID]; dup {
			panic("catalogue: duplicate scenario ID " + s.ID)
		}
		m[s.ID] = s
	}
	return m
}()

// All returns every scenario in catalogue order.
func All() []Scenario { return append([]Scenario(nil), scenarios...) }

// Suite returns the scenarios of one suite ("P", "W" or "B") in order.
func Suite(letter string) []Scenario {
	var out []Scenario
	for _, s := range scenarios {
		if s.Suite() == letter {
			out = append(out, s)
		}
	}
	return out
}

// Lookup returns the scenario with the given ID.
func Lookup(id string) (Scenario, bool) {
	s, ok := byID[id]
	return s, ok
}

// MustLookup returns the scenario with the given ID and panics if there is
// none: spec code names IDs as constants, so a typo is a programming error.
func MustLookup(id string) Scenario {
	s, ok := byID[id]
	if !ok {
		panic(fmt.Sprintf("catalogue: no scenario %q", id))
	}
	return s
}

// Match reports whether a scenario is selected by a list of patterns as users
// write them in --focus and --skip: an exact ID ("P2.1"), a group ("P2"), a
// suite ("P") or a level ("MUST").
func Match(s Scenario, patterns []string) bool {
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
		case strings.EqualFold(p, string(s.Level)):
			return true
		case p == s.ID, p == s.Group(), p == s.Suite():
			return true
		}
	}
	return false
}

// CheckPatterns returns an error naming the first pattern that selects no
// scenario, so a typo in --focus or --skip is not silently ignored.
func CheckPatterns(patterns []string) error {
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		found := false
		for _, s := range scenarios {
			if Match(s, []string{p}) {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%q names no scenario (want an ID such as P2.1, a group such as P2, a suite letter P, W or B, or a level)", p)
		}
	}
	return nil
}

// IDs returns the IDs of the given scenarios, sorted in catalogue order.
func IDs(ss []Scenario) []string {
	index := make(map[string]int, len(scenarios))
	for i, s := range scenarios {
		index[s.ID] = i
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	sort.Slice(out, func(i, j int) bool { return index[out[i]] < index[out[j]] })
	return out
}

// Markdown renders the catalogue as the table of docs/scenarios.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| ID | level | title | requirement |\n|---|---|---|---|\n")
	for _, s := range scenarios {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s.ID, s.Level, s.Title, strings.ReplaceAll(s.Requirement, "|", "\\|"))
	}
	return b.String()
}
