// Package cli is the refreshspec command: it parses the command line and the
// target profile, starts the fake backend and the target the proxy suite
// needs, runs a suite with package runner and writes the reports of package
// report. cmd/refreshspec/main.go only calls Main. docs/cli.md is the user's
// manual; contract.md §2 and §3 say what a target gets and how a profile maps it.
package cli
