package catalogue_test

import (
	"fmt"

	"github.com/refreshspec/refreshspec/catalogue"
)

// A failure names its scenario by ID, the ID users pin in CI; Lookup gives
// back its title and level, and the level says whether the failure fails the
// run (a SHOULD fails it only in strict mode).
func ExampleLookup() {
	s, ok := catalogue.Lookup("P2.1")
	if !ok {
		fmt.Println("no such scenario")
		return
	}
	fmt.Println(s.Name())
	fmt.Println(s.Level, s.Group(), s.Suite())

	s = catalogue.MustLookup("P6.1")
	fmt.Println(s.Level, "fails the run:", s.Level.FailsRun(false), "in strict mode:", s.Level.FailsRun(true))
	// Output:
	// P2.1 page request refreshes once and retries
	// MUST P2 P
	// SHOULD fails the run: false in strict mode: true
}

// --focus and --skip take IDs, groups, suite letters and levels; Match
// selects as they do, and IDs lists what was selected in catalogue order.
func ExampleMatch() {
	var selected []catalogue.Scenario
	for _, s := range catalogue.All() {
		if catalogue.Match(s, []string{"P2"}) {
			selected = append(selected, s)
		}
	}
	fmt.Println(catalogue.IDs(selected))
	// Output:
	// [P2.1 P2.2 P2.3 P2.4]
}

// A pattern that selects nothing is a typo, not an empty run: CheckPatterns
// names it.
func ExampleCheckPatterns() {
	fmt.Println(catalogue.CheckPatterns([]string{"P2", "W", "should"}))
	fmt.Println(catalogue.CheckPatterns([]string{"P2", "P2.9"}))
	// Output:
	// <nil>
	// "P2.9" names no scenario (want an ID such as P2.1, a group such as P2, a suite letter P, W or B, or a level)
}
