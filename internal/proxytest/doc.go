// Package proxytest is the project's own test of the proxy suite (group P of
// docs/scenarios.md): it runs every P scenario against the
// reference proxy in front of the fake backend, where all of them must pass
// (strict mode: SHOULDs too), and against deliberately broken builds of the
// reference (the mutation self-test: its mutants, internal/reference/mutants), where
// the scenario named for each defect must fail: a suite that passes a broken
// target has a hole. Both run in more than contract.md §1's dialect:
// TestProxySuiteInEveryDialect runs the whole suite once per mapping of
// suitetest.DialectNames (an OAuth 2.0 server, a team's own JSON backend), the
// fake backend serving it and the reference speaking it, and TestMutants runs
// every mutant in the json and oauth2 mappings.
//
// The reference runs as two instances sharing a secret and a redis-server
// the test starts (REDIS_URL), so that P7.4 runs too; the other scenarios
// use the first. TestP74FailsWithoutASharedStore runs P7.4 once more against
// two instances without Redis, where it must fail.
//
//	go test ./internal/proxytest/                           # fake backend in a container (needs Docker)
//	REFRESHSPEC_BACKEND=local go test ./internal/proxytest/ # fake backend in this process
//	go test -short ./internal/proxytest/                    # without the mutation self-test
//	REFRESHSPEC_MUTANT=no-retry go test -run '^TestProxySuite$' ./internal/proxytest/
//	REFRESHSPEC_DIALECT=oauth2 go test -run '^TestProxySuite$' ./internal/proxytest/
//
// TestMutants builds the mutants ahead and runs each child, focused on the
// mutant's scenario, one after the other against one shared fake backend
// (under half a minute), with one instance of the reference, or for a P7.4
// mutant two sharing one redis-server; REFRESHSPEC_MUTANT_PARALLEL=2 runs two at a time,
// each with its own in-process backend. The other variables it reads
// are listed in suite_test.go.
package proxytest
