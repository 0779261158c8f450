// Package proxysuite is the proxy suite (group P of docs/scenarios.md): the
// Ginkgo specs that check a backend-for-frontend app, the target, against
// the cookie-session token-refresh pattern. The target is reached only over
// HTTP, with the fake backend of contract.md §1 behind it, and every
// scenario is decided from what the fake backend journaled plus what the
// client received; a failure prints the requirement and that journal.
//
// A team's own Ginkgo suite registers the specs with Register and fills the
// Config before they run (see the example); `refreshspec proxy` and
// Test do the same.
//
// One file holds each group of the catalogue: login.go (P1), refresh.go (P2,
// P3), rotation.go (P4), failure.go (P5), transient.go (P6), concurrency.go
// (P7) with instances.go (P7.4, several instances of the target: Config.Instances),
// security.go (P8) with logout.go (P8.7, P8.8) and timing.go (P9);
// leak.go is P8.4 and caching.go P8.9, whose checks run after every spec. The client is session.go, response.go and
// cookies.go; routes.go is the routes that P3, P5 and P6 run on alike (the
// page, the api route, the update route) and how each kind of route
// answers a lost session; journal.go reads what the fake backend
// journaled, backend.go acts on it and on the target.
package proxysuite
