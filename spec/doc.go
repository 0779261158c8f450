// Package spec is the entry point to refreshspec's conformance specs, the
// scenarios of docs/scenarios.md as Ginkgo v2 specs that any Ginkgo suite can
// register, in the style of kubernetes-csi's csi-sanity. The specs live in
// one package per suite; this package keeps the names users already import
// working, as aliases of theirs, and adds the one-liners for plain go test:
//
//   - proxysuite: the proxy suite (group P), which checks a
//     backend-for-frontend app over HTTP with the fake backend behind it
//     (ProxyConfig, RegisterProxySpecs, TestProxy);
//   - browsersuite: the browser suite (group W), the same app in Chromium
//     (BrowserConfig, RegisterBrowserSpecs, FindChromium);
//   - backendsuite: the backend suite (group B), which checks any backend's
//     /auth routes (BackendConfig, RegisterBackendSpecs, TestBackend);
//   - harness: what the three share: registration by scenario ID, levels,
//     and the report entries the runner and the reports read (Verdict,
//     VerdictEntry, MeasuredEntry, JournalEntry).
//
// Inside a team's own Ginkgo suite:
//
//	var cfg = &spec.ProxyConfig{}   // filled in BeforeSuite
//	var _ = spec.RegisterProxySpecs(cfg)
//
// From a plain go test function, with the config filled in first:
//
//	func TestConformance(t *testing.T) { spec.TestProxy(t, cfg) }
//
// Every spec name begins with its scenario ID and carries the labels of its
// group and level (Label("P2", "MUST")). A MUST failure fails the run, a
// SHOULD failure only in strict mode, and an INFO spec never fails; the
// latter two record their verdict in a report entry (VerdictEntry).
package spec
