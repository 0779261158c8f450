// Package backendtest is the project's own test of the backend suite (group
// B of docs/scenarios.md, contract.md §1): it runs the B specs in strict mode
// against the fake backend, where every MUST and SHOULD must pass, and then
// once per deliberate defect of the fake backend (fakebackend.AllBreaks), where
// the scenario written for that defect must fail. Both run in every mapping
// of suitetest.DialectNames (REFRESHSPEC_DIALECT=json, oauth2 or custom): the
// fake backend serves it natively, OAuth 2.0's password and refresh_token
// grants and RFC 7009 revocation included. TestFositeBackendStrict runs the
// suite against a real OAuth 2.0 server built on a library, ory/fosite: the
// command in oauthserver/, a module of its own so that fosite's dependencies
// stay out of this module's, which the test builds and starts (no Docker).
//
// The fake backend runs as a container by default; REFRESHSPEC_BACKEND=local
// runs it in-process, and REFRESHSPEC_BACKEND_URL with
// REFRESHSPEC_CONTROL_URL reuse one that is running. Without a Docker engine
// the tests skip, unless REFRESHSPEC_REQUIRE_DOCKER=1.
//
//	go test ./internal/backendtest                      # container
//	REFRESHSPEC_BACKEND=local go test ./internal/backendtest
//	REFRESHSPEC_DIALECT=oauth2 go test -run TestBackendSuite ./internal/backendtest
//	go test -short ./internal/backendtest               # without the mutants
//	go test -run Fosite ./internal/backendtest          # only against fosite
package backendtest
