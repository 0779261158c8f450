// Package soak runs a bounded soak of the reference proxy (`make soak`): many
// sessions through the reference in front of an in-process fake backend,
// with access tokens expired at random moments (control Expire per family
// and AdvanceClock for all), families revoked on purpose, and faults
// injected on refresh and resource calls (500s, HTML 503s, drops, delays
// past the proxy's timeout, 429s and 429 storms, malformed 200s). Loopback
// only; it stops by itself after Config.Duration plus a short drain.
//
// What it checks, over every response:
//
//   - sessions lost: a user logged out (401, a redirect to /login, a
//     cleared cookie) whose family was not revoked on purpose. Must be 0.
//   - unexpected 5xx: a 5xx other than 502/503, or more 502/503 incidents
//     for a family than the faults the backend journaled for it. Must be 0.
//   - one refresh per expiry: for every family alive at the end, the
//     backend's successful refreshes equal the expiries the soak caused
//     (a final request per session consumes the last ones).
//   - no leak (P8.4): no token the backend issued (every Issued token of the
//     journal) appears in any body, header, or cookie, raw or
//     base64-decoded, nor in the proxy's log.
//   - no answer carries another user's data.
//
// The proxy runs in-process (InProcess) or, for a memory figure that is
// the proxy's alone, as a separate process (Subprocess, which cmd/refreshsoak
// uses by re-executing itself; see ServeReference). The wire contracts are
// contract.md §1 and §2; the control API is fakebackend/control.
package soak
