// Package spec holds the conformance specs of ../shared/scenarios.md as
// Ginkgo v2 specs that any Ginkgo suite can register, in the style of
// kubernetes-csi's csi-sanity:
//
//	var cfg = &spec.ProxyConfig{...}   // filled in before the specs run
//	var _ = spec.RegisterProxySpecs(cfg)
//
// The proxy specs (group P) reach the target only over HTTP, with the fake
// backend of contract.md §1 behind it, and decide from what the fake backend
// journaled plus what the client received. The backend specs (group B) reach
// any backend's /auth/* routes over HTTP.
//
// Every spec name begins with its scenario ID and carries the labels of its
// group and level (Label("P2", "MUST")). Levels behave as scenarios.md says:
// a MUST failure fails the run, a SHOULD failure only in strict mode, and an
// INFO spec never fails; the latter two record their verdict in a report
// entry (VerdictEntry) that the runner and the reports read.
package spec
