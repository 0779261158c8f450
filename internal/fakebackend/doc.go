// Package fakebackend is the fake backend of contract.md §1: the
// /auth/login, /auth/refresh, /auth/logout, /api/user/me and
// /api/user/profile routes a proxy talks to (or, with a dialect.Mapping,
// the routes, fields and answers of a team's own JSON backend or OAuth 2.0
// server), with rotation on every
// refresh, invalidation of the refresh token presented, family revocation
// on reuse, an optional reuse grace window, access and refresh TTLs, a
// refresh rate limit, Cache-Control: no-store on token answers and
// WWW-Authenticate on rejected access tokens. The proxy suite runs a proxy
// against it; the backend suite uses it (and its Breaks) as its own target.
//
// # Dialects
//
// Config.Mapping (package dialect) says how the API speaks; its zero value
// is contract.md §1 as written. In the json dialect each role has its own
// route, request fields and answer paths as the mapping names them, bodies
// are JSON or forms as each endpoint says, and failures carry the mapping's
// error body (the envelope above by default, or a flat one without a
// success flag). In the oauth2 dialect login and refresh share one token
// endpoint, told apart by grant_type (password and refresh_token, RFC 6749
// §4.3 and §6), which takes forms only (a JSON body is 400
// invalid_request) and authenticates the client as the mapping says
// (client_auth basic or body; 401 invalid_client, with WWW-Authenticate:
// Basic for basic); answers are {access_token, refresh_token, token_type,
// expires_in, scope} with the scope the login asked for (no refresh token
// when the mapping's scope, such as offline_access, was not asked for);
// errors are RFC 6749 §5.2's, with invalid_grant as 400; logout is RFC
// 7009 revocation, 200 for any token, revoking the family only for its
// current refresh token. The user's first name comes from the me resource.
// Everything below (store, rotation, grace window, rate limit, faults,
// clock, journal) works alike in every dialect, and the control API does
// not change: the journal's Route is the contract's role
// (control.RouteRefresh for a refresh_token grant at POST /oauth/token),
// with Method and Path the real ones. CheckMapping says which mappings
// cannot be served. A mapping's reuse_leeway is the grace window unless
// Config.GraceWindow is set.
//
// Beside the API, Control serves the control API that
// fakebackend/control's Client speaks, on its own listener so that a
// target under test cannot reach it: reset, settings, a fake clock (real
// time plus an offset, which every TTL and the rate limit are judged by),
// expiring and revoking families, a fault queue, and the journal, token
// list, counts and stats that specs assert on.
//
// # Tokens and families
//
// Tokens are opaque: 32 bytes of crypto/rand in base64url. A login starts a
// family (IDs "f-1", "f-2", ... since the last reset) at generation 0; each
// refresh issues the next generation. A refresh token presented again after
// it was rotated away is reuse: the family is revoked, and every access and
// refresh token of it stops working. With a grace window, the refresh token
// the last rotation consumed gets that rotation's pair back (same access and
// refresh token, outcome "grace") while the rotation is younger than the
// window; any older token is still reuse. The access token presented before
// a refresh keeps working until it expires.
//
// That is the contract's rotation. A mapping's Rotation (package dialect,
// docs/providers.md) replaces it with a provider's: a grace period per used
// token (unlimited possible), a reuse count, previous-only, whether a reuse
// outside the grace revokes the family and its access tokens, and whether a
// reuse inside it gets the same pair or a newly minted one (outcome "grace"
// either way). The control API's settings show the rules in force
// (rotation) and replace them; grace_window is their grace period.
//
// Logout revokes the family only when it is given the family's current
// refresh token, as real backends do (RFC 7009 in the oauth2 dialect). Any
// other token (an access token, a refresh token already rotated away, an
// unknown one) is answered 200 as well and revokes nothing; the journal
// says so with the outcome "not_revoked".
//
// # Journal
//
// Every API request is journaled: its route, the token it presented (in
// full, with its family and generation), its body (cut at 64 KiB), the
// status and outcome of its answer, the tokens it issued, and the headers
// that say how its body is to be read and whom it speaks for
// (Content-Type, Content-Length, Transfer-Encoding, Accept, and
// Authorization as its scheme and a fingerprint, never the credentials).
//
// # Rate limit
//
// Refresh attempts are counted on the fake clock in a sliding window per
// client address (every attempt, well-formed or not, known token or not)
// and per family (attempts with a known token). Over either bound a
// well-formed attempt is answered 429 {"error":"rate_limited"} with
// Retry-After in whole seconds; a malformed one still gets its 400 (it is
// counted all the same).
// Advancing the clock past the window or a reset clears the counts.
//
// # Faults
//
// A queued fault answers the next Count calls of its route, in queue order,
// before the route's handler runs. A fault answer never touches the store:
// the refresh token it carries is not consumed and nothing is rate-limited.
// The journal marks it with Outcome "fault", Fault set to its kind and the
// status sent.
//
// A delay holds the request for Delay, then answers normally (the journal
// has Fault "delay" and the normal outcome); if the client goes away first,
// nothing is answered and the outcome is "fault" with status 0. A drop
// closes the connection without an answer (status 0). A status fault
// answers Status (default 500, or 200 for the truncated body and the five
// broken token answers below it) with a body shaped by Body, shown here for
// contract.md §1 (other mappings put the same values at their own paths:
// the oauth2 dialect's 200 is {} and its truncated body {"access_token":",
// and a mapping without a success flag answers success-false with its
// failure body, code "server_error"). RANDOM is a fresh token the store does
// not know, so a proxy that saves it has lost the session:
//
//	json, status 200    {"success":true,"data":{}}
//	json, other status  {"success":false,"message":"injected fault","error":CODE}
//	html                <html><body><h1>Bad Gateway</h1></body></html> (text/html)
//	truncated           {"success":true,"data":{"authorization":{"access_token":"   (cut there)
//	missing-field       {"success":true,"data":{"authorization":{"refresh_token":RANDOM,"token_type":"Bearer","expires_in":S}}}
//	missing-refresh     {"success":true,"data":{"authorization":{"access_token":RANDOM,"token_type":"Bearer","expires_in":S}}}
//	empty-tokens        {"success":true,"data":{"authorization":{"access_token":"","refresh_token":"","token_type":"Bearer","expires_in":S}}}
//	wrong-types         {"success":true,"data":{"authorization":{"access_token":4242424242,"refresh_token":{},"token_type":"Bearer","expires_in":S}}}
//	success-false       {"success":false,"data":{"authorization":{"access_token":RANDOM,"refresh_token":RANDOM,"token_type":"Bearer","expires_in":S}}}
//
// CODE is "invalid_grant" for 401 and 400 on refresh, "invalid_token" for
// 401 on me and profile (with WWW-Authenticate: Bearer
// error="invalid_token"), "invalid_credentials" for 401 on login (the
// oauth2 dialect: "invalid_client" for 401 on login and logout,
// "invalid_grant" for 400 on login), "rate_limited" for 429 (with
// Retry-After: 1), and "server_error" for every other status.
//
// # Bad input
//
// No input gets a 5xx unless a fault or a Break asks for it: a malformed,
// empty or wrongly typed body is 400 "invalid_request", an unknown route
// 404 "not_found", a known path with another method 405
// "method_not_allowed" (with Allow), a body over 1 MiB 413 "too_large".
//
// # Bounded memory
//
// Families that are revoked or whose every token expired are dropped, with
// the expired tokens of live families other than their newest pair, by a
// sweeper every minute of real time and by the control sweep. A dropped
// token is unknown afterwards, which the API answers exactly like an expired
// or revoked one. The journal keeps the newest 100,000 entries (and at most
// 64 MiB of request bodies, each cut at 64 KiB).
//
// # Breaks
//
// Break names deliberate defects (Config.Breaks, --break, or the
// settings PATCH), used by the backend suite's mutation self-test; each
// behaves as its comment in fakebackend/control says. A correct run sets
// none.
package fakebackend
