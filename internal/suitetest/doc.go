// Package suitetest is the set-up that the project's own suite tests share:
// internal/proxytest (group P), internal/backendtest (group B) and internal/browsertest
// (group W) each run their suite against the fake backend of contract.md §1
// (in-process, in a container, or one already running), and the proxy and
// browser tests against the reference proxy, correct or built with one of its
// mutants (internal/reference/mutants).
// Each proves the suite can fail by re-running itself, once per defect, in a
// child process (a Ginkgo suite runs once per process) and reading which
// scenarios failed from the child's Ginkgo JSON report.
//
// What differs between the three (their variables, what they assert, how they
// report) stays in their packages; this package holds only what is the same,
// so that a change to how the fake backend starts or how a child is read is
// made once. The suites' own packages use it too, for the check that their
// specs keep the catalogue's promises (CheckSpecIDs).
package suitetest
