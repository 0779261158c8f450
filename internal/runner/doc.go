// Package runner runs the registered conformance specs of one suite (P or B)
// in-process with Ginkgo and turns Ginkgo's report into one result per
// scenario of the catalogue, with each scenario's level applied: a MUST
// failure fails the run, a SHOULD failure only in strict mode, and an INFO
// scenario never does (docs/scenarios.md explains the levels, and
// docs/contract.md what the specs check).
//
// The CLI (cmd/refreshspec) is its user; the reports (package report) write
// its Result. Ginkgo allows RunSpecs once per process, so Run may be called
// once per process too.
package runner
