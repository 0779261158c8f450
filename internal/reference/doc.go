// Package reference is the reference proxy of refreshspec: a small,
// correct implementation of the cookie-session token-refresh pattern of
// docs/pattern.md, which comes from the design "Automatic Token Refresh
// Implementation" (the seed, docs/token-refresh-design.md), serving every
// route of contract.md §2 against a backend of contract.md §1, or of any
// dialect.Mapping (Config.Mapping, BACKEND_MAPPING): a team's own JSON API or
// an OAuth 2.0 server, spoken through the mapping's request builders and
// readers in backend.go. The proxy and browser suites (groups P and W of
// scenarios.md) must pass against it in each.
//
// What it does, in the order a request meets it:
//
//   - The session lives only in the cookie "session", sealed with
//     gorilla/securecookie: HMAC-SHA256 and AES-256 (encrypted, not only
//     signed), with keys derived from each SESSION_SECRET entry by HKDF under
//     distinct labels. The first secret seals, every secret unseals, and a
//     cookie opened under an older secret is resealed under the first on that
//     response. A cookie that does not unseal, or whose session is past its
//     refresh expiry, is an anonymous session: 401 JSON or a redirect to
//     /login, with the cookie cleared, never a 5xx and never a backend call.
//     What a cookie value opened to is kept in a small cache (at most 1,024
//     values, two generations) so that a browser's next requests skip the
//     HMAC, AES and JSON work, most of what the proxy adds to a request; it
//     changes no answer: the session's expiry and securecookie's MaxAge are
//     checked on every request, and a value that does not open is never
//     cached.
//   - The fetch path (performFetch) sends the access token as Bearer; on a
//     401 it refreshes once and retries once with the same method and the
//     same (buffered) body, and saves the rotated tokens in a Set-Cookie on
//     that same response. It never refreshes on 403, 404, 429 or 5xx.
//   - A refresh refused with invalid_grant (401/400) destroys the session;
//     any other failure (network, timeout, 5xx, 429, malformed answer) keeps
//     it and answers 502 (503 for 429).
//
// # One refresh per session
//
// Concurrent requests of one session that meet a 401 share one refresh
// (singleflight keyed by the refresh token, run under context.WithoutCancel
// with the backend timeout), and a short, bounded memory of recent refreshes
// (old refresh token → rotated pair, 30 s) answers requests that arrive with
// the old cookie just after the shared refresh finished. Without it they
// would present a used refresh token, which the backend takes for reuse and
// answers by revoking the whole family.
//
// Both live in one process. Several instances behind a load balancer cannot
// share them: two instances that meet the same expired session refresh with
// the same token, and the second call is reuse. With REDIS_URL set the
// instances share the refresh through Redis (sharedrefresh.go, behind the
// refresher's exchange): the first to meet the token takes a short lock
// keyed by the token's SHA-256 (SET NX with an expiry and a random value,
// released by a compare-and-delete Lua script), refreshes, and publishes the
// rotated pair sealed with the session key for 30 s; the others wait for it
// instead of refreshing. Redis down or slow, or another instance's refresh
// not done in time: 503, the session kept, never a refresh without the lock.
// A holder that dies frees the lock by its TTL. Without REDIS_URL the
// backend's reuse grace window (contract.md §1) is what covers several
// instances; TestTwoInstancesNeedTheGraceWindow shows that side, and
// TestInstancesShareOneRefreshThroughRedis the other. docs/scaling.md
// compares the two.
//
// Logs: one slog line per refresh attempt with its outcome and a token
// fingerprint (the first 8 hex digits of its SHA-256), never a token.
package reference
