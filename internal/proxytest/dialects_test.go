package proxytest

import (
	"testing"

	"github.com/refreshspec/refreshspec/internal/suitetest"
)

// TestProxySuiteInEveryDialect runs the whole P suite against the reference
// once per mapping of suitetest.DialectNames (contract.md §1, an OAuth 2.0
// server, a team's own JSON backend), each in a child process: the fake
// backend serves the mapping, the reference speaks it (BACKEND_MAPPING), and
// the suite's own backend calls (P9.2's) use it. Every scenario must pass in
// each, and the same ones be skipped as in contract.md §1. The children share
// one reference build and serve the fake backend in their own process.
func TestProxySuiteInEveryDialect(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the proxy suite in every dialect")
	}
	suitetest.CheckEveryDialect(t, "TestProxySuite")
}
