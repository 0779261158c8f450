// Package browsersuite is the browser suite (group W of docs/scenarios.md):
// the pattern as a user meets it, in a real headless Chromium driven over
// the DevTools protocol. One browser serves the whole group and every spec
// gets a fresh browser context, so no cookie or storage crosses from one
// scenario to the next. The specs share the proxy suite's config: the same
// target, fake backend and profile (its page paths and selectors).
//
// A team's own Ginkgo suite registers the specs with Register (see the
// example); `refreshspec proxy --browser` does the same. Without Chromium
// the specs are skipped with the reason (FindChromium, ErrChromiumNotFound).
//
// suite.go registers the specs and holds their bodies; session.go is a
// spec's tab, scripts.go what page scripts can read (W1.2), journal.go what
// the fake backend saw, and chromium.go finds and starts the browser,
// offline.
package browsersuite
