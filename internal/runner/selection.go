package runner

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/refreshspec/refreshspec/catalogue"
)

// Select returns the scenarios of suites (the suite letters: "P", "PW" for
// the proxy suite with the browser scenarios, or "B") that focus selects (all
// of them when focus is empty) and skip does not, in catalogue order.
// Patterns are those of catalogue.Match; one that names no scenario at all is
// an error naming it, so a typo in --focus or --skip is not silently ignored.
func Select(suites string, focus, skip []string) ([]catalogue.Scenario, error) {
	var all []catalogue.Scenario
	for _, letter := range suites {
		all = append(all, catalogue.Suite(string(letter))...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("suite %q: want P (proxy), PW (proxy and browser) or B (backend)", suites)
	}
	if err := catalogue.CheckPatterns(focus); err != nil {
		return nil, fmt.Errorf("--focus: %w", err)
	}
	if err := catalogue.CheckPatterns(skip); err != nil {
		return nil, fmt.Errorf("--skip: %w", err)
	}
	focusing := false
	for _, p := range focus {
		if strings.TrimSpace(p) != "" {
			focusing = true
		}
	}
	var out []catalogue.Scenario
	for _, s := range all {
		if focusing && !catalogue.Match(s, focus) {
			continue
		}
		if catalogue.Match(s, skip) {
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.New("--focus and --skip leave no scenario of suite " + suites + " to run")
	}
	return out, nil
}

// focusStrings are Ginkgo focus regexes that select exactly the given
// scenarios: each spec's text begins with its ID and a space, possibly after
// the texts of the containers it sits in.
func focusStrings(selected []catalogue.Scenario) []string {
	ids := make([]string, len(selected))
	for i, s := range selected {
		ids[i] = regexp.QuoteMeta(s.ID)
	}
	return []string{`(^|\s)(` + strings.Join(ids, "|") + `) `}
}
