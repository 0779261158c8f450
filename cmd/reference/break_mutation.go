//go:build mutation

package main

// breakFromEnv reads REFERENCE_BREAK, the deliberate bug the proxy suite's
// mutation self-test switches on (reference.AllBugs lists the names).
func breakFromEnv(getenv func(string) string) string { return getenv("REFERENCE_BREAK") }
