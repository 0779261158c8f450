//go:build mutation

package main

import (
	"testing"

	"github.com/refreshspec/refreshspec/reference"
)

func TestBreakReadFromEnvWithMutationTag(t *testing.T) {
	env := func(k string) string {
		if k == "REFERENCE_BREAK" {
			return string(reference.BugNoRetry)
		}
		return ""
	}
	if got := breakFromEnv(env); got != string(reference.BugNoRetry) {
		t.Errorf("breakFromEnv = %q, want %q", got, reference.BugNoRetry)
	}
}
