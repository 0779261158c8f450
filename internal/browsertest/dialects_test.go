package browsertest

import (
	"testing"

	"github.com/refreshspec/refreshspec/internal/suitetest"
)

// TestBrowserSuiteInEveryDialect runs the W suite in Chromium against the
// reference once per mapping of suitetest.DialectNames, each in a child
// process: the fake backend serves the mapping and the reference speaks it,
// its profile page's script reading the first name where the mapping's me
// answer keeps it. Every scenario must pass in each, and the same ones be
// skipped as in contract.md §1. The children share one reference build.
func TestBrowserSuiteInEveryDialect(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the browser suite in every dialect")
	}
	requireChromium(t)
	suitetest.CheckEveryDialect(t, "TestBrowserSuite", "-test.timeout=5m")
}
