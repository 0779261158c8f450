// Package browsertest is the project's own test of the browser scenarios
// (group W of docs/scenarios.md, the page elements of contract.md
// §2): it runs them in Chromium against the reference proxy in front of the
// fake backend, where all of them must pass, and against deliberately broken
// builds of the reference, where the scenario named for each defect must fail.
// TestBrowserSuiteInEveryDialect runs the scenarios once per mapping of
// suitetest.DialectNames (REFRESHSPEC_DIALECT), and each mutant is run in the
// json and oauth2 mappings.
//
//	go test ./internal/browsertest/                        # container backend (needs Docker)
//	REFRESHSPEC_BACKEND=local go test ./internal/browsertest/
//	REFRESHSPEC_DIALECT=oauth2 go test -run '^TestBrowserSuite$' ./internal/browsertest/
//
// Without Chromium the specs are skipped with the reason, unless
// REFRESHSPEC_REQUIRE_BROWSER=1 makes that a failure (CI sets it).
package browsertest
