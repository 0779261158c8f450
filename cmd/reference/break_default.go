//go:build !mutation

package main

// breakFromEnv is always "" in a normal build: the deliberate bugs can only
// be switched on in a binary built with -tags mutation.
func breakFromEnv(func(string) string) string { return "" }
