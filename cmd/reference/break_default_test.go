//go:build !mutation

package main

import "testing"

// A normal build must never switch a deliberate bug on, whatever the
// environment says.
func TestBreakIgnoredWithoutMutationTag(t *testing.T) {
	env := func(string) string { return "no-retry" }
	if got := breakFromEnv(env); got != "" {
		t.Errorf("breakFromEnv = %q in a normal build", got)
	}
}
