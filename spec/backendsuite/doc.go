// Package backendsuite is the backend suite (group B of docs/scenarios.md):
// the Ginkgo specs that check a backend's /auth routes, the other side of
// the pattern: login, refresh with rotation and reuse detection, refusals,
// caching headers, rate limit, logout, and the tokens' lifetimes. The specs
// reach the backend only over HTTP, through the profile's backend mapping
// (package dialect: contract.md §1's JSON, a team's own JSON, or an OAuth 2.0
// server's password and refresh_token grants with its scope and client
// authentication, RFC 7009 revocation for logout, RFC 6749 §5.2 errors), so
// they run against a team's real backend as well as against the fake one. A
// reuse leeway the mapping declares is honoured (B2.3, B2.4), and what
// becomes of a revoked family's access token is measured, not failed. B2.14
// measures the backend's rotation semantics (grace period, reuse count,
// previous-only, revocation) and names the identity providers they match;
// with the mapping's Rotation declared, a difference fails it as a MUST.
//
// A team's own Ginkgo suite registers the specs with Register (see the
// example); `refreshspec backend` and Test do the same.
//
// suite.go registers the specs, one a line, in catalogue order; one file
// holds each theme: login.go (B1), rotation.go (B2.1 to B2.4), rejection.go
// (B2.5, B2.6, B2.9), headers.go (B2.7), ratelimit.go (B2.8), logout.go
// (B2.10), measurements.go (B2.11 to B2.13) and semantics.go (B2.14). The client is client.go and
// dialect.go; checks.go and expiry.go are the building blocks the specs
// share.
package backendsuite
